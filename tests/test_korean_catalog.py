"""Every Korean string, rendered with sample values of the kinds it takes, reads as Korean.

Each placeholder is filled with values whose reading is written down here by hand (numbers
ending in each digit, round numbers, seconds, minutes and hours, net names, ratios), so the
particles t() chooses are checked against a reference, not against the helper itself. The
rendered text must also not fall back to "은(는)", keep a Latin word where Korean has one, or
type a particle straight after a placeholder.
"""

import re

import pytest

from resnet_core import korean, text
from ui.draw import style
from ui.page import i18n

C, V, L = korean.CONSONANT, korean.VOWEL, korean.RIEUL

# (value as a Korean page shows it, its final sound) -- read aloud by hand.
NUMBERS = [("1", L), ("2", V), ("3", C), ("4", V), ("5", V), ("6", C), ("7", L), ("8", L), ("9", V),
           ("10", C), ("20", C), ("56", C), ("110", C), ("3,600", C), ("0.05", V), ("0.1", L), ("1,202", V)]
TIMES = [("45초", V), ("12초", V), ("3분", C), ("2.5분", C), ("1시간", C), ("2시간", C)]
NETS = [("ResNet-20", C), ("ResNet-32", V), ("ResNet-1202", V), ("플레인-56", C), ("플레인-2", V),
        ("VGG-19", V), ("잔차-8", L)]
RATIOS = [(style.fmt_ratio(x, "ko"), V) for x in (0.00012, 3.2, 3600)]           # ...배
LAYERS = [("stage2.block0.conv1", L), ("stem", C), ("stage3.block2", V)]

KINDS = {
    "time": TIMES, "total": TIMES, "limit": TIMES,
    "net": NETS, "arch": NETS, "name": NETS, "residual": NETS, "plain": NETS, "label": NETS,
    "blocks": LAYERS, "layer": LAYERS, "block": LAYERS,
    "ratio": RATIOS, "overall": RATIOS, "bn_overall": RATIOS,
}
# Keys whose {plain} and {residual} are measured ratios, not names.
RATIO_KEYS = re.compile(r"^(gradients\.(explain|verdict)|evidence\.myth\.vanish)")

FIELD = re.compile(r"\{(\w+)(?:[:!][^{}]*)?\}")
FALLBACK = re.compile(r"은\(는\)|는\(은\)|이\(가\)|가\(이\)|을\(를\)|를\(을\)|과\(와\)|와\(과\)|\(으\)로")
# A particle typed right after a placeholder: the value decides it, so it must be a mark.
TYPED = re.compile(r"\{\w+(?:[:!][^{}]*)?\}(\*\*)?(은|는|이|가|을|를|과|와|으로|로|이라|라)(?=[\s.,:;)!?]|는|도|$)")

# Latin words a Korean sentence must not keep: each has its Korean word (glossary.json and the
# sidebar's page names). Proper names (ResNet, ImageNet, Grad-CAM) and code are not listed.
LATIN = {
    r"\bplain\b": "플레인", r"\b[Rr]esidual\b": "잔차", r"\b[Dd]egradation\b": "성능 저하",
    r"\bshortcuts?\b": "숏컷", r"\bstages?\b": "스테이지", r"\bsteps?\b": "단계", r"\bruns?\b": "학습 기록",
    r"\bid\b": "아이디", r"\bheat ?maps?\b": "히트맵", r"\bbottlenecks?\b": "병목", r"\blayers?\b": "층",
    r"\bblocks?\b": "블록", r"\bchannels?\b": "채널", r"\b(Figure|Table|[Ss]ection)\b": "그림/표/절",
    r"\bbatch\b": "배치", r"\baccuracy\b": "정확도", r"\bloss\b": "손실", r"\berror\b": "오류율",
    r"\bprojection\b": "사영", r"\bidentity\b": "항등", r"\bpre-activation\b": "사전 활성화",
    r"\bwidth\b": "너비", r"\bdepth\b": "깊이", r"\bseed\b": "시드", r"\btraining\b": "학습",
    r"\bgradients?\b": "그래디언트", r"\bpage\b": "페이지", r"\blearning rate\b": "학습률",
    r"\bzero[- ]padding\b": "제로 패딩", r"\bdigits\b": "손글씨 숫자", r"\boption\b": "방식",
}


def _samples(key: str, name: str):
    if RATIO_KEYS.match(key) and name in ("plain", "residual"):
        return RATIOS
    return KINDS.get(name, NUMBERS)


def _choose(pair: str, sound: str) -> str:
    a, b = pair.split("/")
    after_consonant, after_vowel = korean.PAIRS[frozenset((a, b))]
    if after_consonant == "으로":
        return "으로" if sound == C else "로"
    return after_consonant if sound in (C, L) else after_vowel


def _korean_entries():
    for name, entries in i18n.load_files().items():
        if name == "glossary.json":
            continue
        for key, entry in entries.items():
            yield key, entry["ko"]


def _renders(key: str, template: str):
    """(rendered, expected) for each round of sample values; `expected` puts the hand-read
    particle after every placeholder that a mark follows."""
    names = sorted({m.group(1) for m in FIELD.finditer(text.SOURCE.sub("", template))} - {"src", "cite", "titled"})
    specced = {m.group(1) for m in FIELD.finditer(template) if m.group(0) != f"{{{m.group(1)}}}"}
    rounds = max([len(_samples(key, n)) for n in names] or [1])
    for i in range(rounds):
        values = {n: _samples(key, n)[i % len(_samples(key, n))] for n in names}
        # A field with a format spec ("{n:,}", "{z:.2f}") takes the number itself.
        values = {n: (_number(v) if n in specced else v, sound) for n, (v, sound) in values.items()}
        rendered = i18n_render(template, **{n: v for n, (v, _) in values.items()})

        def expect(m: re.Match) -> str:
            field, bold, pair = m.group(1), m.group(2) or "", m.group(3)
            return f"{{{field}}}{bold}{_choose(pair, values[field][1])}"

        hand = re.sub(r"\{(\w+)\}(\*\*)?\{(" + korean.MARK.pattern[3:-3] + r")\}", expect, template)
        yield rendered, i18n_render(hand, **{n: v for n, (v, _) in values.items()})


def _number(value: str):
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def i18n_render(template: str, **values) -> str:
    return text.render(template, "ko", **values) if values else text.render(template, "ko")


def test_every_korean_string_renders_with_the_right_particles():
    checked, bad = 0, []
    for key, template in _korean_entries():
        for rendered, expected in _renders(key, template):
            if rendered != expected:
                bad.append(f"{key}: {rendered!r}\n   expected {expected!r}")
            if FALLBACK.search(rendered):
                bad.append(f"{key}: a particle written both ways: {rendered!r}")
            if korean.MARK.search(rendered) or re.search(r"\{\w*\}", rendered):
                bad.append(f"{key}: a mark left in {rendered!r}")
            checked += 1
    assert checked > 500
    assert not bad, "\n".join(bad)


def test_no_particle_is_typed_after_a_placeholder():
    bad = [f"{key}: {m.group(0)!r} in {ko!r}" for key, ko in _korean_entries() for m in TYPED.finditer(ko)]
    assert not bad, "write the pair as a mark, e.g. {time}{이/가}:\n" + "\n".join(bad)


def _latin_words(rendered: str) -> list[str]:
    # Code spans, links and names of layers are not prose; nor is an English gloss right after
    # the Korean term it explains, as textbooks give one: "사전 활성화(pre-activation)".
    prose = re.sub(r"(?<=[\uac00-\ud7a3])\s?\([A-Za-z][A-Za-z -]*\)", " ", rendered)
    prose = re.sub(r"`[^`]*`|\(?https?://\S+|\b[\w.]*\d[\w.]*\b|[\w.-]+\.(py|json|md|onnx)\b", " ", prose)
    return [m.group(0) for pattern in LATIN for m in re.finditer(pattern, prose)]


def test_no_latin_word_where_korean_has_one():
    bad = []
    for key, template in _korean_entries():
        for rendered, _ in _renders(key, template):
            words = _latin_words(rendered)
            if words:
                bad.append(f"{key}: {sorted(set(words))} in {rendered!r}")
                break
    assert not bad, "Korean text keeps English words:\n" + "\n".join(bad)


@pytest.mark.parametrize("ko, words", [
    ("plain-20과 ResNet-20", ["plain"]), ("(Degradation) 페이지", ["Degradation"]), ("사영(projection)", []),
    ("`python -m resnet_core`로 실행", []), ("stage2.block0.conv1 층", []), ("ResNet-56의 블록", []),
])
def test_the_latin_check_itself(ko, words):
    assert _latin_words(ko) == words


def _page_titles() -> dict[str, tuple[str, str]]:
    table = i18n.table()
    return {k.split(".")[1]: (v["en"], v["ko"]) for k, v in table.items()
            if k.startswith("page.") and k.endswith(".title")}


def test_a_page_is_named_as_the_sidebar_names_it():
    """"the Degradation page" is "성능 저하 문제 페이지", the sidebar's words, in Korean too."""
    titles = _page_titles()
    korean_titles = {ko for _, ko in titles.values()}
    bad = []
    for name, entries in i18n.load_files().items():
        for key, entry in entries.items():
            for en, ko in titles.values():
                if re.search(rf"\b{re.escape(en)} page", entry["en"]) and not re.search(
                        rf"{re.escape(ko)}['’]? 페이지", entry["ko"]):
                    bad.append(f"{key}: says the {en} page, but not {ko} 페이지: {entry['ko']!r}")
            for m in re.finditer(r"([\w·]+(?: [\w·]+)?)\)?['’]? 페이지", entry["ko"]):
                words = m.group(1)
                if re.search(r"[A-Za-z]", words) or words in ("퇴화", "만들기·학습", "성능 저하", "예측하기"):
                    if not any(t.endswith(words) for t in korean_titles):
                        bad.append(f"{key}: names a page {words!r}, not a sidebar title")
    assert not bad, "\n".join(bad)


def test_a_particle_typed_after_a_fixed_name_or_number_fits_it():
    """A particle after text that never changes ("Goldstein (2018)은", "ResNet-56은") may be typed,
    but it must be the one that reading calls for."""
    word = {p: f"{a}/{b}" for a, b in korean.PAIRS.values() for p in (a, b)}
    bad = []
    for key, template in _korean_entries():
        ko = korean.MARK.sub("", text.sources(template, "ko"))
        for m in re.finditer(r"[A-Za-z0-9%×)\]'\"*`²](으로|은|는|이|가|을|를|과|와|로)(?![\uac00-\ud7a3])", ko):
            before = ko[:m.start(1)]
            if re.search(r"\{\w+(?:[:!][^{}]*)?\}\**$", before):
                continue   # after a value: a mark's job (test_no_particle_is_typed_after_a_placeholder)
            expected = korean.particle(before, word[m.group(1)])
            if expected != m.group(1):
                bad.append(f"{key}: ...{ko[max(0, m.start() - 20):m.end()]!r} wants {expected}")
    assert not bad, "\n".join(bad)
