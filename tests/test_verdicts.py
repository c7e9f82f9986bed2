"""Sentences that depend on a measurement follow the measurement: resnet_core.inspection.verdicts
sorts two values into equal, too small to tell, or a clear difference, and every reading built
on it (Landscape, Lesion, Figure 7, Shortcuts, the degradation myth, Gradient flow's zeros) says
"no difference here" for equal values and "too small to tell" for tiny ones, in both languages."""

import math
import re

import numpy as np
import pytest

from resnet_core import arch_config, text
from resnet_core.inspection import analysis, gradient_ratios, landscape, lesion, verdicts
from resnet_core.inspection.probes import grad_norms_at_init
from resnet_core.inspection import readings
from resnet_core.training import experiments
from ui.draw import style
from ui.page import i18n


def said(key: str, lang: str, **values) -> str:
    """The sentence a page shows for `key` in `lang`, filled with `values`."""
    return text.render(i18n.table()[key][lang], lang, **values)


# The comparison itself

@pytest.mark.parametrize("a, b, tol, relative, outcome, direction", [
    (1, 1, 0.0, False, "equal", 0),             # the same count: no difference
    (1.002, 1.007, 0.02, True, "unclear", -1),  # Figure 7's 1.002 vs 1.007: 0.5% apart
    (0.5, 1.0, 0.02, True, "clear", -1),
    (3, 1, 0.0, False, "clear", 1),             # counts: any difference is clear
    (0.10, 0.105, 0.01, False, "unclear", -1),
    (0.10, 0.12, 0.01, False, "clear", -1),
    (math.inf, 1.0, 0.5, False, "clear", 1),
])
def test_compare_sorts_a_pair_into_equal_unclear_or_clear(a, b, tol, relative, outcome, direction):
    c = verdicts.compare(a, b, tolerance=tol, relative=relative)
    assert (c.outcome, c.direction) == (outcome, direction)


def test_a_claim_is_held_reversed_equal_or_too_small_to_tell():
    assert verdicts.claim(1, 3) == "held"
    assert verdicts.claim(3, 1) == "reversed"
    assert verdicts.claim(3, 1, expect="higher") == "held"
    assert verdicts.claim(1, 1) == "equal"
    assert verdicts.claim(1.0, 1.001, tolerance=0.01) == "unclear"
    assert verdicts.overall(["equal", "unclear"]) == "equal"
    assert verdicts.overall(["held", "equal"]) == "held"
    assert verdicts.overall(["held", "reversed"]) == "reversed"
    assert verdicts.ties_with_worst({"a": 0.15, "b": 0.148, "c": 0.05}, tolerance=0.01) == ["a", "b"]
    assert verdicts.ties_with_worst({"a": 0.15, "b": 0.10}, tolerance=0.01) == ["a"]
    with pytest.raises(ValueError):
        verdicts.claim(1, 2, expect="smaller")


# Landscape: equal minima counts are not "reproduced"

def _shape(minima: int, down: float) -> dict:
    return {"shape": {"local_minima_2d": minima, "curve_down_fraction": down}}


def test_landscape_equal_counts_are_no_difference_not_a_reproduction():
    v = landscape.verdict(_shape(1, 0.10), _shape(1, 0.10))
    assert v["outcomes"] == {"residual_fewer_minima": "equal", "residual_less_bending": "equal",
                             "residual_single_bowl": "held"}
    assert v["finding"] == "equal" and not v["held"] and not v["checks"]["residual_fewer_minima"]
    tiny = landscape.verdict(_shape(1, 0.10), _shape(1, 0.09))
    assert tiny["outcomes"]["residual_less_bending"] == "unclear" and tiny["finding"] == "equal"
    clear = landscape.verdict(_shape(4, 0.30), _shape(1, 0.02))
    assert clear["finding"] == "held" and all(clear["checks"].values())
    assert landscape.verdict(_shape(1, 0.02), _shape(4, 0.30))["finding"] == "reversed"


def test_landscape_bending_is_read_on_the_shares_as_shown():
    """When some losses are not finite, the inner points counted differ from the full grid's 361
    and from net to net. 5 of 357 and 5 of 361 both read "1.4%": no difference, not "too small
    to tell"; 14 of 355 (3.9%) against 5 of 357 (1.4%) are 2.54 points apart unrounded but 2.5
    as shown: "no more than 2.5 percentage points apart", not a clear difference."""
    same = landscape.verdict(_shape(1, 5 / 361), _shape(1, 5 / 357))
    assert same["outcomes"]["residual_less_bending"] == "equal"
    close = landscape.verdict(_shape(1, 5 / 357), _shape(1, 14 / 355))
    assert close["outcomes"]["residual_less_bending"] == "unclear" and close["finding"] == "equal"
    clear = landscape.verdict(_shape(1, 14 / 355), _shape(1, 4 / 357))   # 1.1% against 3.9%: 2.8 apart
    assert clear["outcomes"]["residual_less_bending"] == "held"


@pytest.mark.parametrize("lang, equal, tiny, clear", [
    ("en", "No difference here", "Too small to tell", "Held:"),
    ("ko", "차이 없음", "차이가 너무 작아 판단할 수 없음", "재현됨:"),
])
def test_landscape_wordings_in_both_languages(lang, equal, tiny, clear):
    values = dict(pm=1, rm=1, pb="10", rb="9", tol="2.5", bowl=2, plain="plain-20", residual="ResNet-20")
    text = said("landscape.check.residual_fewer_minima.equal", lang, **values)
    assert text.startswith(equal) and "재현됨" not in text and "Held" not in text
    assert said("landscape.check.residual_less_bending.unclear", lang, **values).startswith(tiny)
    assert said("landscape.check.residual_fewer_minima.yes", lang, **dict(values, pm=3)).startswith(clear)
    # No English plural that a count can break ("1 local minima").
    for key in ("residual_fewer_minima.yes", "residual_fewer_minima.no", "residual_single_bowl.yes",
                "residual_single_bowl.no"):
        assert "1 local minima" not in said(f"landscape.check.{key}", "en", **values)
    # The single-bowl check names its threshold as this app's, not the paper's.
    for key in ("residual_single_bowl.yes", "residual_single_bowl.no"):
        assert ("this app" if lang == "en" else "이 앱") in said(f"landscape.check.{key}", lang, **values)


@pytest.mark.parametrize("lang, cannot, bowl", [("en", "Cannot tell:", "close to a single bowl"),
                                                ("ko", "판단할 수 없음:", "그릇 하나에 가깝습니다")])
def test_landscape_slice_without_a_minimum_is_not_called_a_bowl(lang, cannot, bowl):
    none = landscape.verdict(_shape(3, 0.30), _shape(0, 0.02))
    assert none["outcomes"]["residual_single_bowl"] == "unclear" and not none["checks"]["residual_single_bowl"]
    assert none["finding"] == "held"   # the two comparisons still decide the finding
    assert landscape.verdict(_shape(3, 0.30), _shape(1, 0.02))["outcomes"]["residual_single_bowl"] == "held"
    assert landscape.verdict(_shape(3, 0.30), _shape(3, 0.02))["outcomes"]["residual_single_bowl"] == "reversed"
    values = dict(rm=0, bowl=2, residual="ResNet-20")
    text = said("landscape.check.residual_single_bowl.unclear", lang, **values)
    assert text.startswith(cannot) and bowl not in text and "ResNet-20" in text
    assert bowl in said("landscape.check.residual_single_bowl.yes", lang, **dict(values, rm=1))


@pytest.mark.parametrize("lang, own, li", [("en", "this app's", "Li et al. 2018"), ("ko", "이 앱이 정한", "Li et al. 2018")])
def test_landscape_bending_names_the_apps_cut_off(lang, own, li):
    note = said("landscape.bending_help", lang, ratio=landscape.CURVE_DOWN_RATIO)
    assert own in note and li in note and "0.1" in note
    for key in ("residual_less_bending.yes", "residual_less_bending.no", "residual_less_bending.equal",
                "residual_less_bending.unclear"):
        text = said(f"landscape.check.{key}", lang, pb="10", rb="9", tol="2.5", plain="plain-20", residual="ResNet-20")
        assert "negative curvature" not in text and "음의 곡률" not in text
        assert ("under the table" if lang == "en" else "표 아래") in text


# Lesion: the block named is the bar that is lowest, and ties are named together

def _net(accs: dict[str, float], down=("stage2.block0",), n_test=360) -> dict:
    return {"intact_acc": 0.95, "n_test": n_test, "blocks": [
        {"name": n, "acc": a, "downsampling": n in down, "deletable": True} for n, a in accs.items()]}


def test_lesion_names_every_block_tied_with_the_worst_largest_first():
    net = _net({"stage1.block0": 0.80, "stage1.block1": 0.803, "stage2.block0": 0.85, "stage2.block1": 0.94})
    s = lesion.summary(net)
    assert s["worst_blocks"] == ["stage1.block0", "stage1.block1"]   # 0.3 points apart: < 3 images of 360
    alone = lesion.summary(_net({"stage1.block0": 0.80, "stage1.block1": 0.90, "stage2.block0": 0.85}))
    assert alone["worst_blocks"] == ["stage1.block0"] and alone["downsampling_blocks"] == ["stage2.block0"]


def test_lesion_downsampling_reading_has_a_tolerance():
    plain = _net({"stage1.block0": 0.1, "stage1.block1": 0.1})
    close = _net({"stage1.block0": 0.94, "stage1.block1": 0.94, "stage2.block0": 0.935})
    assert lesion.verdict(plain, close)["outcomes"]["downsampling_hurts"] == "unclear"
    same = _net({"stage1.block0": 0.94, "stage2.block0": 0.94})
    assert lesion.verdict(plain, same)["outcomes"]["downsampling_hurts"] == "equal"
    far = _net({"stage1.block0": 0.94, "stage2.block0": 0.60})
    assert lesion.verdict(plain, far)["outcomes"]["downsampling_hurts"] == "held"


def test_lesion_readings_follow_the_accuracies_as_shown():
    """400 held-out images (tolerance 1.0 point). The chart shows the intact net at 90.8% (363
    images) and bars at 89.8%, 88.8% and 83.2%: the drops are read as 1.0, 2.0 and 7.6, the
    differences of those numbers (unrounded, 363 - 333 images is 7.5 points, shown "7.5"), and
    medians shown exactly 1.0 apart are "too small to tell", as the sentence says ("no more
    than 1.0 points apart"), whatever the floating-point gap of the unrounded values."""
    def net(accs, down=("stage2.block0",)):
        return {"intact_acc": 363 / 400, "n_test": 400, "blocks": [
            {"name": n, "acc": k / 400, "downsampling": n in down, "deletable": True} for n, k in accs.items()]}
    residual = net({"stage1.block0": 333, "stage1.block1": 359, "stage1.block2": 359, "stage2.block0": 355})
    s = lesion.summary(residual)
    assert f"{100 * s['worst_drop']:.1f}" == "7.6" and s["worst_blocks"] == ["stage1.block0"]
    assert [f"{100 * s[k]:.1f}" for k in ("median_drop_ordinary", "median_drop_downsampling")] == ["1.0", "2.0"]
    plain = _net({"stage1.block0": 0.1, "stage1.block1": 0.1})
    assert lesion.verdict(plain, residual)["outcomes"]["downsampling_hurts"] == "unclear"
    # One tenth more, as shown, is clearly more; two medians shown alike are no difference.
    residual["blocks"][3]["acc"] = 354 / 400   # 88.5%: a drop of 2.3
    assert lesion.verdict(plain, residual)["outcomes"]["downsampling_hurts"] == "held"
    alike = {"intact_acc": 0.95, "n_test": 400, "blocks": [
        {"name": "stage1.block0", "acc": 0.9392, "downsampling": False, "deletable": True},   # 93.9%
        {"name": "stage2.block0", "acc": 0.9388, "downsampling": True, "deletable": True}]}   # 93.9%
    assert lesion.verdict(plain, alike)["outcomes"]["downsampling_hurts"] == "equal"
    # Bars shown exactly the tolerance below the worst are named with it.
    tie = lesion.summary(net({"stage1.block0": 333, "stage1.block1": 337, "stage2.block0": 362}))
    assert [f"{100 * s_:.1f}" for s_ in (tie["drops"]["stage1.block0"], tie["drops"]["stage1.block1"])] == ["7.6", "6.6"]
    assert tie["worst_blocks"] == ["stage1.block0", "stage1.block1"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_lesion_wordings_in_both_languages(lang):
    tied = said("lesion.worst.tied", lang, net="ResNet-20", blocks="s1.b0, s1.b1", drop="15.0", low="14.7", tol="1.0")
    assert "s1.b0, s1.b1" in tied and ("too close to tell apart" in tied if lang == "en" else "가릴 수 없음" in tied)
    equal = said("lesion.check.downsampling_hurts.equal", lang, down_change="a drop of 1.0 points",
                 ordinary_change="a drop of 1.0 points", tol="1.0")
    assert equal.startswith("No difference here" if lang == "en" else "차이 없음")
    tiny = said("lesion.check.downsampling_hurts.unclear", lang, down_change="a drop of 1.2 points",
                ordinary_change="a rise of 0.1 points", tol="1.0")
    assert ("Too small to tell" if lang == "en" else "판단할 수 없습니다") in tiny


# Figure 7: 1.002 against 1.007 is not "as in the paper"

def test_figure7_tiny_differences_are_too_small_to_tell():
    means = {"plain-20": 1.007, "ResNet-20": 1.002, "plain-56": 1.2, "ResNet-56": 0.8}
    assert analysis.figure7_checks(means) == {"smaller_20": "unclear", "smaller_56": "held",
                                              "deeper_smaller": "held"}
    means.update({"ResNet-56": 1.002})
    assert analysis.figure7_checks(means)["deeper_smaller"] == "equal"
    means.update({"ResNet-56": 1.5})
    assert analysis.figure7_checks(means)["smaller_56"] == "reversed"


def test_figure7_reads_the_means_as_shown():
    """The page shows three decimals and its "too small to tell" sentence states the 2% margin:
    0.490 against 0.500 as shown is within it, whatever digits lie beyond; alike as shown is alike."""
    means = {"plain-20": 0.50049, "ResNet-20": 0.48951, "plain-56": 0.4504, "ResNet-56": 0.4501}
    assert analysis.figure7_checks(means)["smaller_20"] == "held"   # unrounded: 2.2% apart
    shown = analysis.figure7_checks(means, decimals=3)
    assert shown["smaller_20"] == "unclear" and shown["smaller_56"] == "equal"
    assert analysis.figure7_checks({**means, "ResNet-20": 0.4894}, decimals=3)["smaller_20"] == "held"   # 0.489


@pytest.mark.parametrize("lang, equal, tiny", [("en", "**No difference here:**", "**Too small to tell:**"),
                                               ("ko", "**차이 없음:**", "**차이가 너무 작아 판단할 수 없음:**")])
def test_figure7_wordings_in_both_languages(lang, equal, tiny):
    values = dict(a="ResNet-20", b="plain-20", va="1.002", vb="1.007", tol="2")
    assert said("evidence.fig7.equal", lang, **values).startswith(equal)
    text = said("evidence.fig7.unclear", lang, **values)
    assert text.startswith(tiny) and "1.002" in text and "1.007" in text
    assert "paper" not in text and "논문" not in text


# Gradient flow: exact zeros are never a ratio

def test_exact_zero_gradients_give_a_ratio_of_zero_not_a_tiny_number():
    # Sigmoid, no BN, 110 layers, pre-activation: the plain net's first layers underflow. (At the
    # preset's 56 layers they hold about 1e-31, tiny but not 0: norms are taken in float64.)
    cfg = arch_config("plain110", block="preact", norm="none", activation="sigmoid", input_size=16)
    names, norms = grad_norms_at_init(cfg, batch=16, seed=0)
    assert (np.asarray(norms) == 0).sum() > 0   # float32 underflow: exactly 0, nothing smaller
    ratio = gradient_ratios.input_output_ratio(names, norms)
    assert ratio == 0.0                          # not 2.68e-307 (float64's floor, which float32 never holds)
    assert gradient_ratios.gradient_verdict(ratio, 0) == "zero"
    # A naive geometric mean over the same norms, with the zeros left as they are, is 0 too.
    convs = [n for name, n in zip(names, norms) if ".shortcut" not in name and not name.startswith("head")]
    with np.errstate(divide="ignore"):
        assert np.exp(np.mean(np.log(np.asarray(convs[:3], dtype=np.float64)))) == 0.0
    six = [f"l{i}" for i in range(6)]
    assert gradient_ratios.input_output_ratio(six, np.array([1e-3] * 3 + [1.0] * 3)) == pytest.approx(1e-3)
    assert math.isnan(gradient_ratios.input_output_ratio(six, np.zeros(6)))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_zero_explanations_count_layers_and_give_no_ratio(lang):
    for code in ("vanish_preact", "vanish_post"):
        text = said(f"gradients.explain.{code}.zero", lang, n=17, depth=56, residual="0.12×")
        assert "17" in text and not re.search(r"\de-\d", text) and "{" not in text
    twin = said("gradients.twin.zero", lang, m=5)
    text = said("gradients.explain.both_vanish.zero", lang, n=17, depth=56, twin=twin)
    assert "17" in text and "5" in text


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_both_vanishing_gives_the_reason_of_the_block_chosen(lang):
    """Post-activation blocks: the activation after the addition is named; pre-activation blocks,
    which put nothing after it, are not given that reason."""
    values = dict(depth=56, plain="1/(2×10⁵)×", residual="1/(3×10⁴)×")
    post = said("gradients.explain.both_vanish", lang, **values)
    pre = said("gradients.explain.both_vanish_preact", lang, **values)
    after = {"en": "an activation follows each addition", "ko": "덧셈 뒤에 활성화 함수가 있으면"}[lang]
    preact = {"en": "pre-activation blocks", "ko": "사전 활성화 블록이라"}[lang]
    assert after in post.lower() and after not in pre.lower() and preact in pre.lower()
    for text in (post, pre):
        assert values["plain"] in text and values["residual"] in text and "{" not in text


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_bn_not_vanishing_states_the_pages_threshold(lang):
    """sigmoid + BN: plain-56's input side gets about 1/220 of the output side's gradient, and the
    reading is bn_within; its "do not vanish" is said with the page's measure (a factor of a thousand)."""
    cfg = arch_config("resnet56", block="preact", norm="batch", activation="sigmoid", input_size=16)
    assert gradient_ratios.gradient_reading(cfg, 1 / 220, 0.96) == "bn_within"
    text = said("gradients.explain.bn_within", lang, depth=56, plain="1/220×" if lang == "en" else "220분의 1")
    threshold = {"en": "within a factor of a thousand", "ko": "천 배 이내"}[lang]
    assert threshold in text and "{" not in text


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_gradient_verdicts_read_the_ratio_as_it_is_shown(lang):
    """0.000998 is shown as 1/1,000 and 1000.4 as 1,000x: both are within a factor of a thousand as
    the page shows them, so neither is called vanishing ("under a thousandth") or growing; a ratio
    shown past the threshold still is."""
    cfg = arch_config("resnet56", block="basic", norm="batch", activation="relu", input_size=16)
    for raw, shown in ((0.000998, {"en": "1/1,000", "ko": "1,000분의 1"}), (1000.4, {"en": "1,000×", "ko": "1,000배"})):
        assert style.fmt_ratio(raw, lang) == shown[lang]
        ratio = style.shown_ratio(raw)
        assert gradient_ratios.gradient_verdict(ratio, 0) == "within"
        assert gradient_ratios.gradient_reading(cfg, ratio, 1.0) == "bn_within"
        text = said("gradients.verdict.within", lang, ratio=style.fmt_ratio(raw, lang))
        assert shown[lang] in text and {"en": "Within a factor of a thousand", "ko": "천 배 이내"}[lang] in text
    assert gradient_ratios.gradient_verdict(style.shown_ratio(0.00099), 0) == "vanish"   # shown 1/1,010
    assert gradient_ratios.gradient_verdict(style.shown_ratio(1000.6), 0) == "grow"      # shown 1,001x


# The live gradient mode: a net left at chance did not learn

def test_learning_outcome_reads_loss_and_accuracy_against_chance():
    assert analysis.learning_outcome("finished", 2.30, 0.106, 10) == "stuck"      # ln 10, 1/10
    assert analysis.learning_outcome("finished", 2.00, 0.40, 10) == "slow"
    assert analysis.learning_outcome("finished", 0.05, 0.99, 10) == "learned"
    # Both bars, as the sentences state them: loss at most 0.8 ln 10 (1.842), accuracy above 20%.
    assert analysis.learning_outcome("finished", 1.84, 0.201, 10) == "learned"
    assert analysis.learning_outcome("finished", 1.61, 0.20, 10) == "low_acc"     # ln 5: two groups of five
    assert analysis.learning_outcome("finished", 1.85, 0.60, 10) == "slow"
    assert analysis.learning_outcome("diverged", None, None, 10) == "diverged"
    assert analysis.learning_outcome("running", 1.0, 0.5, 10) == "unfinished"
    assert analysis.learning_outcome("queued", None, None, 10) == "unfinished"   # not "diverged"
    assert analysis.learning_outcome("cancelled", None, None, 10) == "unfinished"


# Shortcuts and the degradation myth: chosen from the runs' numbers

def test_shortcut_reading_from_held_out_accuracies():
    assert readings.shortcut_reading({"A": 0.950, "B": 0.953, "C": 0.948}) == ("alike", ["B", "A", "C"])
    assert readings.shortcut_reading({"A": 0.90, "B": 0.95, "C": 0.93}) == ("ordered", ["B", "C", "A"])
    assert readings.shortcut_reading({"A": 0.90, "B": None, "C": 0.93}) == ("missing", [])
    assert readings.shortcut_reading({"A": 0.90, "B": float("nan"), "C": 0.93}) == ("missing", [])


@pytest.mark.parametrize("lang, tied, alone", [("en", "Here A and B ended highest", "Here B ended highest"),
                                               ("ko", "여기서는 A와 B 방식의 검증 정확도가 가장 높았습니다",
                                                "여기서는 B 방식의 검증 정확도가 가장 높았습니다")])
def test_two_options_tied_at_the_top_are_both_named(lang, tied, alone):
    table = i18n.table()

    def said(acc: dict) -> str:
        code, order = readings.shortcut_reading(acc)
        leaders = readings.shortcut_leaders(acc, order)
        best = leaders[0] if len(leaders) == 1 else text.render(
            table["shortcuts.train.honest.pair"][lang], lang, a=leaders[0], b=leaders[1])
        return text.render(table[f"shortcuts.train.honest.{code}"][lang], lang, best=best, a="", b="", c="",
                           spread="3.0", paper="", n="359")

    assert said({"A": 0.95, "B": 0.95, "C": 0.92}).startswith(tied)
    assert said({"A": 0.94, "B": 0.95, "C": 0.92}).startswith(alone)


def _rows(p20: float, p56: float) -> list:
    losses = {"plain-20": p20, "plain-56": p56, "ResNet-20": 0.01, "ResNet-56": 0.01}
    return [experiments.ExperimentRow(n, i, "finished", loss, 0.9, 0.9, 300, 1.0) for i, (n, loss) in enumerate(losses.items())]


def test_plain_depth_reading_from_the_degradation_losses():
    assert readings.plain_depth_reading(_rows(0.05, 1.5)) == "held"
    assert readings.plain_depth_reading(_rows(0.05, 0.07)) == "mixed"
    assert readings.plain_depth_reading(_rows(0.05, 0.04)) == "not_shown"
    assert readings.plain_depth_reading(_rows(0.0501, 0.0503)) == "not_shown"   # 0.050 against 0.050
    assert readings.plain_depth_reading(_rows(0.05, 1.5)[:3]) == "missing"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_shortcut_and_myth_wordings_show_their_numbers(lang):
    paper = said("shortcuts.train.honest.paper", lang)
    assert ("Table 3" if lang == "en" else "표 3") in paper and "4.1" in paper
    for code in ("alike", "ordered"):
        text = said(f"shortcuts.train.honest.{code}", lang, best="B", a="95.0%", b="95.3%", c="94.8%",
                    spread="0.5", paper=paper, n="359")
        assert all(v in text for v in ("95.0%", "95.3%", "94.8%", "0.5", "359"))
    for code in ("held", "mixed", "not_shown"):
        text = said(f"evidence.myth.deg.{code}", lang, p56="1.500", p20="0.050", dataset="digits", steps=300,
                    runs="#13 plain-56, #12 plain-20")
        assert "1.500" in text and "0.050" in text and "300" in text and "#13 plain-56, #12 plain-20" in text
    assert "{" not in said("evidence.myth.deg.missing", lang)


@pytest.mark.parametrize("lang, tiny", [("en", "too close to tell which is faster"), ("ko", "어느 쪽이 빠른지 판단할 수 없습니다")])
def test_relu_against_tanh_within_the_averaging_window_is_too_small_to_tell(lang, tiny):
    # The Evidence page's AlexNet reading: steps to 25% error, averaged over 10 steps.
    assert verdicts.compare(120, 126, tolerance=10).outcome == "unclear"
    assert verdicts.compare(120, 240, tolerance=10).outcome == "clear"
    text = said("evidence.alex.result.unclear", lang, relu=120, tanh=126)
    assert tiny in text and "120" in text and "126" in text


def test_bn_fits_better_only_for_a_clear_difference():
    ends = {("plain", "batch"): ("learned", 0.050), ("plain", "none"): ("stuck", 2.30),
            ("residual", "batch"): ("learned", 0.046), ("residual", "none"): ("learned", 0.2)}
    assert analysis.bn_findings(ends)[-1] == "plain_fits_as_well"      # 8% apart: too small to tell
    ends[("residual", "batch")] = ("learned", 0.020)
    assert analysis.bn_findings(ends)[-1] == "residual_fits_better"


# Feature maps: whether the residual blocks' outputs spread wider within each stage is read from
# the measured standard deviations, never assumed

def test_block_outputs_are_the_activations_after_residual_additions_only():
    from resnet_core import ModelConfig, build_model
    from resnet_core.nets.blocks import block_outputs

    basic = block_outputs(build_model(ModelConfig(depth=8)))
    assert basic == [("stage1", "stage1.block0.act2"), ("stage2", "stage2.block0.act2"),
                     ("stage3", "stage3.block0.act2")]
    assert block_outputs(build_model(ModelConfig(depth=8, residual=False))) == []     # nothing is added
    assert block_outputs(build_model(ModelConfig(depth=8, block="preact"))) == []     # nothing after the addition
    assert block_outputs(build_model(ModelConfig(depth=11, block="bottleneck")))[0] == ("stage1", "stage1.block0.act3")


def _outputs(per_stage: int) -> list[tuple[str, str]]:
    return [(f"stage{s}", f"stage{s}.block{b}.act2") for s in (1, 2) for b in range(per_stage)]


def test_block_output_trend_grows_only_when_every_stage_clearly_grows():
    names = [a for _, a in _outputs(3)]
    grow = readings.block_output_trend(names, [1.0, 1.2, 1.4, 0.9, 1.0, 1.3], _outputs(3))
    assert grow == ("grow", [("stage1", 1.0, 1.4), ("stage2", 0.9, 1.3)])
    # One stage ends where it began (within 5%): not "grows along the depth".
    assert readings.block_output_trend(names, [1.0, 1.2, 1.4, 1.0, 1.1, 1.03], _outputs(3))[0] == "mixed"
    assert readings.block_output_trend(names, [1.4, 1.2, 1.0, 1.3, 1.1, 0.9], _outputs(3))[0] == "mixed"
    # Read on the standard deviations as the page shows them (3 decimals): 0.09951 -> 0.10004 reads
    # "0.100 -> 0.100", not wider; 0.20049 -> 0.21051 (4.8% wider) reads "0.200 -> 0.211" (5.2%),
    # clearly wider.
    assert readings.STD_DECIMALS == 3
    one = [("stage1", "stage1.block0.act2"), ("stage1", "stage1.block1.act2")]
    pair = [a for _, a in one]
    assert readings.block_output_trend(pair, [0.09951, 0.10004], one) == ("mixed", [("stage1", 0.1, 0.1)])
    assert readings.block_output_trend(pair, [0.20049, 0.21051], one) == ("grow", [("stage1", 0.2, 0.211)])
    # One block per stage, or no residual block at all: nothing to read.
    assert readings.block_output_trend(["stage1.block0.act2"], [1.0], [("stage1", "stage1.block0.act2")]) is None
    assert readings.block_output_trend(names, [1.0] * 6, []) is None


@pytest.mark.parametrize("lang, grows, mixed", [
    ("en", "spread wider from the first block of each stage to its last here",
     "do not clearly spread wider from the first block to the last in every stage here"),
    ("ko", "스테이지마다 첫 블록보다 마지막 블록에서 더 넓게 퍼져 있습니다",
     "마지막 블록에서 뚜렷이 더 넓게 퍼지지 않은 스테이지가 있습니다"),
])
def test_block_output_trend_wordings_show_their_numbers(lang, grows, mixed):
    stages = ", ".join(said("features.stats.stage", lang, n=n, first=a, last=b)
                       for n, a, b in (("1", "0.974", "1.435"), ("2", "1.158", "1.513")))
    text = said("features.stats.trend.grow", lang, net="ResNet-20", stages=stages)
    assert grows in text and "0.974 → 1.435" in text and "1.158 → 1.513" in text and mixed not in text
    text = said("features.stats.trend.mixed", lang, net="ResNet-20", stages=stages)
    assert mixed in text and "0.974 → 1.435" in text and grows not in text


@pytest.mark.parametrize("lang, held, unclear", [
    ("en", "held here", "cannot be told here"), ("ko", "재현되었습니다", "판단할 수 없습니다")])
def test_landscape_finding_is_not_held_on_a_slice_without_a_minimum_alone(lang, held, unclear):
    """0 minima against several wins "fewer minima" only because the residual slice has no bowl
    (its own check cannot tell): the finding then follows the bending check alone."""
    cases = {"unclear": (_shape(3, 0.10), _shape(0, 0.09)),     # bending too close to call
             "held": (_shape(3, 0.30), _shape(0, 0.02)),        # bending clearly held
             "reversed": (_shape(3, 0.02), _shape(0, 0.30)),    # bending clearly the other way
             "equal": (_shape(0, 0.10), _shape(0, 0.10))}       # no minimum on either slice
    for expected, (plain, residual) in cases.items():
        v = landscape.verdict(plain, residual)
        assert v["finding"] == expected and v["held"] == (expected == "held"), (expected, v)
        assert v["outcomes"]["residual_single_bowl"] == "unclear"
    assert landscape.verdict(*cases["unclear"])["outcomes"]["residual_fewer_minima"] == "held"
    # With a minimum on the residual slice, fewer minima still counts (bending too close to call).
    assert landscape.verdict(_shape(3, 0.10), _shape(1, 0.09))["finding"] == "held"
    assert landscape.closing("unclear", 20) == landscape.closing("unclear", 56) == "unclear"
    text = said("landscape.unclear", lang)
    assert unclear in text and held not in text and ("none inside the grid" in text or "하나도 없어서" in text)
    assert held in said("landscape.held", lang)


# Loss landscape and lesion: the closing sentence fits the depth that was measured

@pytest.mark.parametrize("lang", ["en", "ko"])
def test_landscape_closing_sentence_follows_the_depth(lang):
    def key(finding, depth):
        return f"landscape.{landscape.closing(finding, depth)}"

    values = dict(depth=56, steps=300, dataset=said("landscape.dataset.digits", lang))
    assert key("held", 20) == key("held", 56) == "landscape.held"
    for finding, base in (("equal", "landscape.no_difference"), ("reversed", "landscape.not_held")):
        shallow, deep = said(key(finding, 20), lang, **dict(values, depth=20)), said(key(finding, 56), lang, **values)
        assert key(finding, 20) == base and key(finding, 56) == f"{base}.deep"
        # At 20 layers Li et al.'s smooth plain net is the excuse; at 56 it is not, and the run is named.
        assert "20" in shallow and ("56 layers and more" in shallow if lang == "en" else "56층 이상" in shallow)
        assert ("300 steps on the handwritten digits" in deep if lang == "en" else "손글씨 숫자에서 300단계만" in deep)
        assert ("at 20 layers" not in deep) and ("20층에서는" not in deep)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_lesion_untrained_plain_note_follows_the_depth(lang):
    shallow = said("lesion.plain_untrained", lang, net="plain-20", acc="31.0", depth=20)
    deep = said("lesion.plain_untrained.deep", lang, net="plain-56", acc="31.0", depth=56)
    fairer = "20-layer pair is the fairer" if lang == "en" else "20층 쌍이 더 공정한"
    assert fairer in deep and fairer not in shallow and "31.0%" in shallow and "31.0%" in deep
