"""Net names and class names in the reader's language: "plain-20" reads "플레인-20" in Korean, "circle" "원".

Run labels are stored once, in English ("plain-56 no BN"), so a class that switches
language mid-lesson still finds its runs; they are translated only where they are shown, in
tables and legends. The words follow assets/i18n/glossary.json (term.plain).
"""

from __future__ import annotations

import re

from ui.draw.style import arch_name
from ui.page.i18n import lang, t, table

_KO = ((re.compile(r"\b[Pp]lain-(?=\d)"), "플레인-"),
       (re.compile(r"\bResidual-(?=\d)"), "잔차-"),
       (re.compile(r"\bno BN\b"), "BN 없음"),
       (re.compile(r"\bpreact-"), "사전 활성화 "),
       (re.compile(r"(?<=\d) flatten\b"), " 평탄화"))
_EN = ((re.compile(r"플레인-(?=\d)"), "plain-"),
       (re.compile(r"잔차-(?=\d)"), "Residual-"),
       (re.compile(r"BN 없음"), "no BN"),
       (re.compile(r"(?<=\d) 평탄화\b"), " flatten"))
# A twin's training steps after " · " (Feature maps, Attribution): "40 steps" / "40단계".
_STEPS = {"ko": (re.compile(r"^(\d+) steps(?= · |$)"), r"\1단계"), "en": (re.compile(r"^(\d+)단계(?= · |$)"), r"\1 steps")}


def net_label(label: str) -> str:
    """A stored run label or net name as the current language writes it; after " · ", a twin's
    "40 steps" reads "40단계" in Korean, and anything else (the name runs stored before
    `display_name` carried) is left alone."""
    name, sep, who = str(label).partition(" · ")
    for pattern, word in (_KO if lang() == "ko" else _EN):
        name = pattern.sub(word, name)
    pattern, word = _STEPS["ko" if lang() == "ko" else "en"]
    return name + sep + pattern.sub(word, who)


def class_label(name: str) -> str:
    """A dataset's class name in the reader's language ("circle" reads "원" in Korean), from the
    catalog's "class.<name>" keys; a name the catalog lacks (a digit, a folder's class) as it is."""
    return t(f"class.{name}") if f"class.{name}" in table() else str(name)


def class_labels(names) -> list[str]:
    """class_label of each name, in order: a chart's or a table's classes."""
    return [class_label(n) for n in names]


def dataset_name(code: str, keys: str) -> str:
    """A dataset's name in the reader's language: the page's own (`keys`.<code>, e.g.
    keys="inspect.dataset") where its catalog has one, else Build & Train's, which names every
    dataset ("Fashion-MNIST", never the code fashion_mnist): a run from another page."""
    own = f"{keys}.{code}"
    return t(own) if own in table() else t(f"build.datasets.{code}")


def study_nets(result: dict) -> tuple[list[dict], list[dict]]:
    """A study's nets, plain first, and the same nets named for its charts in the reader's
    language (stored labels are English, "plain-20")."""
    nets = sorted(result["nets"], key=lambda n: n["kind"] != "plain")
    return nets, [{**n, "label": net_label(n["label"])} for n in nets]


def study_measured(key: str, nets: list[dict], count: str, **values) -> str:
    """A study's caption with the number of images it used: one number when both nets used as
    many, else each net's (two stored runs of different datasets or sizes), never the first's alone."""
    kinds = {n["kind"]: n for n in nets}
    counts = {n[count] for n in nets}
    if len(counts) == 1 or set(kinds) != {"plain", "residual"}:
        return t(key, n=f"{nets[0][count]:,}", **values)
    plain, residual = kinds["plain"], kinds["residual"]
    return t(f"{key}.each", n_plain=f"{plain[count]:,}", plain=net_label(plain["label"]),
             n_residual=f"{residual[count]:,}", residual=net_label(residual["label"]), **values)



def study_seconds(total: float, each: list[float]) -> tuple[str, str]:
    """A study's seconds in all and per net for its caption, from the per-net seconds as its
    table shows them (0.1 s): beside 2.3 and 2.6 it says "about 2.45 s per net", not the 2.4
    that the unrounded 2.31 and 2.56 average to; "in all" (loading included) is never less
    than the shown parts add up to."""
    shown = [round(s, 1) for s in each]
    mean = f"{sum(shown) / len(shown):.2f}"
    return f"{max(round(total, 1), round(sum(shown), 1)):.1f}", mean[:-1] if mean.endswith("0") else mean

def arch_label(code: str) -> str:
    """"plain56" -> "plain-56" / "플레인-56"; "resnet50" -> "ResNet-50" in both."""
    return net_label(arch_name(code))


def kind_name(residual: bool, depth: int) -> str:
    """"Plain-20" / "플레인-20", "Residual-56" / "잔차-56"."""
    return f"{t('kind.residual') if residual else t('kind.plain')}-{depth}"


def device_name(device: str) -> str:
    """"cpu" -> "CPU", "cuda:0" -> "CUDA": a device in a sentence, as the Build page's choices name it."""
    return str(device).split(":")[0].upper()


def accuracy_change(drop: float | None) -> str:
    """A median accuracy drop (a fraction) as Lesion study and Predict say it: deleting blocks can
    also raise accuracy a little, which reads "a rise of 0.3 points", never "a drop of -0.3"."""
    if drop is None:
        return "–"
    shown = f"{100 * drop:.1f}".lstrip("-")
    if shown == "0.0":
        return t("lesion.change.none")
    return t("lesion.change.rise" if drop < 0 else "lesion.change.drop", pts=shown)
