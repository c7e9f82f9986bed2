"""The Gradient flow page under AppTest. At initialisation the page must show what was measured:
sigmoid without BN vanishes in the plain net and not in the pre-activation residual net; with
ReLU + BN (the paper's setting) the plain net does not vanish at all. The live mode draws the
heatmaps and the profile of runs from the store (written here directly, no training)."""

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from apptest_helpers import (
    APP,
    RAW_KEY,
    markdown_tables,
    metrics,
    open_page,
    own_store,
    svg_charts,
    svg_series,
    svg_title,
    svg_y_ticks,
    wait_runs_ended,
)
from streamlit.testing.v1 import AppTest

from resnet_core import arch_config
from resnet_core.inspection.probes import block_gradient_gains, grad_norms_at_init
from resnet_core.store.runs import RunStore
from resnet_core.training import experiments
from ui.draw import training_charts
from ui.training import exports, page_runs


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with own_store(tmp_path_factory, "gradients") as db:
        yield RunStore(db)


def open_gradients(lang: str = "en", owner: str = "grad0me") -> AppTest:
    return open_page("gradients", lang, owner=owner)


def ratio(text: str) -> float:
    """"3,600×" -> 3600.0"""
    return float(text.rstrip("×").replace(",", ""))


def gain_table(at: AppTest) -> dict[str, float]:
    table = markdown_tables(at)[0]
    return {net: ratio(g) for net, g in zip(table["net"], table["median gain per block"])}


def test_default_shows_real_vanishing_in_the_plain_net_only(store):
    at = open_gradients()
    assert at.selectbox(key="gradients_activation").value == "sigmoid"
    assert at.toggle(key="gradients_norm").value is False
    m = metrics(at)
    # About 1e-28, not 0: the first layers' gradients are tiny but not zero, and their norms are
    # taken in float64 (recorders.l2_norms), where a float32 norm once read 0. Written as a fraction
    # with a power of ten, never "1.06e-28".
    plain = m["Plain-56: input side ÷ output side"]
    assert re.fullmatch(r"1/\(\d\.\d\d×10[²³⁴⁵⁶⁷⁸⁹¹⁰]+\)", plain), plain
    residual = ratio(m["Residual-56: input side ÷ output side"])
    assert 1e-3 < residual < 10
    verdicts = [x.value for x in at.markdown if x.value.startswith("**")]
    assert verdicts[0].startswith(f"**Vanishing:** the layers near the input get {plain} the gradient")
    assert verdicts[1].startswith("**Within a factor of a thousand:**")
    reading = " ".join(i.value for i in at.info)
    assert reading.startswith(f"**This is real vanishing.** Measured here, plain-56's first layers get {plain}")
    assert "pre-activation blocks" in reading and "exactly 0" not in reading
    shown = [m.value for m in at.markdown if not m.value.startswith("<svg")] + [i.value for i in at.info] \
        + list(metrics(at).values())
    assert not [x for x in shown if re.search(r"\de-\d{2}", x)], "a tiny ratio written as 1.06e-28"
    assert any("Pre-activation blocks (He et al. 2016)" in c.value for c in at.caption)   # the preset's switch, said
    assert any("exact here" in m.value for m in at.markdown)        # 1 + dF/dx is exact for pre-activation
    gains = gain_table(at)                   # the 1 + dF/dx argument, measured
    assert gains["Residual-56"] == pytest.approx(1.0, abs=0.05) and gains["Plain-56"] < 0.2
    # The depth profile and the per-block gains are inline SVG: no chart library on arrival.
    assert not at.get("plotly_chart")
    assert [svg_title(c) for c in svg_charts(at)] == [
        "Gradient norm of each layer's weights, one pass at initialisation",
        "The 1 + ∂F/∂x argument (He et al. 2016), measured"]
    assert [b.label for b in at.get("download_button")] == ["Download this chart (SVG)"] * 2


def on_log_axis(root, values: list[float], ys: list[float]) -> None:
    """Each pixel y sits at log10 of its value, on the line through the first and last y ticks."""
    (va, ya), (vb, yb) = svg_y_ticks(root)[0], svg_y_ticks(root)[-1]
    expected = [ya + (np.log10(v) - np.log10(va)) / (np.log10(vb) - np.log10(va)) * (yb - ya) for v in values]
    np.testing.assert_allclose(ys, expected, atol=0.15)


def test_the_charts_draw_the_probes_measured_norms_and_gains(store):
    at = open_gradients()
    cfg = arch_config("resnet56", block="preact", norm="none", activation="sigmoid", init="he", input_size=16)
    profile, gains = svg_charts(at)
    for kind, name in (("plain", "Plain-56"), ("residual", "Residual-56")):
        twin = cfg.replace(residual=kind == "residual")
        names, norms = grad_norms_at_init(twin, batch=16, seed=0)
        keep = training_charts.main_path(names)
        names, norms = [names[i] for i in keep], np.asarray(norms, dtype=float)[keep]
        points = svg_series(profile)[name]
        assert [p[2].split("\n")[1] for p in points] == names              # every main-path layer, in order
        # Next to the underflow a layer's gradient passes through denormal floats, so its norm
        # depends on how they were handled where the page's cached probe ran (training flushes
        # them, engine.cpu_threads): those layers, under 1e-16, are compared by size, the rest to
        # the written 3 digits.
        zero = np.array([p[2].endswith("(smaller than the smallest float)") for p in points])
        shown = np.array([float(p[2].split("\n")[2].removeprefix("norm ")) for p, z in zip(points, zero) if not z])
        solid = norms > 1e-16
        assert not (zero & solid).any()
        np.testing.assert_allclose(shown[solid[~zero]], norms[~zero & solid], rtol=5e-3)
        assert (shown[~solid[~zero]] < 1e-16).all() and (shown > 0).all()
        on_log_axis(profile, list(shown), [p[1] for p, z in zip(points, zero) if not z])
        # Tiny (plain-56's first layers near 1e-29) but never 0: no layer is marked as 0.
        assert (norms > 0).all() and not zero.any()
        measured = block_gradient_gains(twin, batch=16, seed=0)
        drawn = svg_series(gains)[name]
        assert [p[2].split("\n")[1] for p in drawn] == list(measured.names)
        positive = [g for g in measured.gains if g > 0]
        values = [float(p[2].split("\n")[2].removeprefix("gain ")) for p in drawn if "gain " in p[2]]
        np.testing.assert_allclose(values, positive, rtol=5e-3)
    xs = [p[0] for p in svg_series(profile)["Residual-56"]]
    np.testing.assert_allclose(np.diff(xs), np.diff(xs)[0], atol=0.15)      # layer 1..n evenly spaced
    assert {"stem", "stage1", "stage2", "stage3", "head"} <= {"".join(t.itertext()) for t in profile.iter()
                                                              if t.tag.endswith("text")}


def test_the_papers_setting_does_not_vanish_and_says_so(store):
    at = open_gradients()
    at.button(key="gradients_try_paper").click().run()
    assert not at.exception
    assert at.toggle(key="gradients_norm").value is True
    assert at.selectbox(key="gradients_activation").value == "relu"
    plain = ratio(metrics(at)["Plain-56: input side ÷ output side"])
    assert plain > 1e3                       # larger gradients at the input, not smaller
    assert any(x.value.startswith("**Growing towards the input:**") for x in at.markdown)
    reading = " ".join(i.value for i in at.info)
    assert "plain-56's gradients do not vanish: they grow" in reading
    assert metrics(at)["Plain-56: input side ÷ output side"] in reading     # the growth, named as measured
    assert "healthy" not in reading.lower()
    assert any("only approximate" in m.value for m in at.markdown)  # a ReLU follows the sum here
    # The gains table reads as ratios, never in e-notation (plain-56's end-to-end gain is ~8,600).
    table = markdown_tables(at)[0]
    cells = [c for col in table.columns[1:] for c in table[col]]
    assert not [c for c in cells if "e+" in c or "e-" in c]
    end = dict(zip(table["net"], table["first block's input ÷ last block's output"]))
    assert re.fullmatch(r"\d{1,3}(,\d{3})+×", end["Plain-56"]) and ratio(end["Plain-56"]) > 1e3


def test_the_papers_setting_in_korean_gives_the_gains_in_bae(store):
    at = open_page("gradients", "ko", owner="grad0me", state=dict(
        gradients_activation="relu", gradients_norm=True, gradients_block="basic", gradients_depth=56))
    table = markdown_tables(at)[0]
    end = dict(zip(table["네트워크"], table["첫 블록 입력 ÷ 마지막 블록 출력"]))
    assert re.fullmatch(r"\d{1,3}(,\d{3})+배", end["플레인-56"])
    assert all(c.endswith("배") for c in table["블록당 증폭률 (중앙값)"])
    assert not [c for col in table.columns[1:] for c in table[col] if "e+" in c or "e-" in c or "×" in c]


def test_relu_with_he_init_explains_why_nothing_vanishes(store):
    at = open_gradients()
    at.button(key="gradients_try_relu_no_bn").click().run()
    assert any("ReLU with He initialisation: measured here, no vanishing" in i.value for i in at.info)


def test_an_impossible_depth_is_explained(store):
    at = open_gradients()
    at.selectbox(key="gradients_block").set_value("bottleneck").run()
    at.selectbox(key="gradients_depth").set_value(32).run()
    assert not at.exception
    assert "9n+2" in at.warning[0].value


def test_home_preset_is_the_measured_vanishing_setting(store):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    at.button(key="home_preset_gradients_no_bn").click().run()
    assert not at.exception
    assert at.title[0].value == "Gradient flow"
    assert (at.selectbox(key="gradients_activation").value, at.selectbox(key="gradients_block").value,
            at.toggle(key="gradients_norm").value) == ("sigmoid", "preact", False)
    assert metrics(at)["Plain-56: input side ÷ output side"].startswith("1/(")


@pytest.mark.parametrize("lang, zero, none", [("en", "0 (nothing arrives):", "–"), ("ko", "0 (아무것도 도달하지 않음):", "–")])
def test_exact_zeros_are_counted_and_no_gradient_at_either_end_is_said(store, lang, zero, none):
    """At 110 layers the sigmoid plain net's first layers get exactly 0 (every value), counted,
    never a ratio. With PyTorch's default init, ReLU and no BN, plain-110's signal dies before the
    output: every layer reads 0, the last ones too, so there is no ratio at all ("dead")."""
    at = open_page("gradients", lang, owner="grad0me", state={"gradients_depth": 110})
    cfg = arch_config("resnet110", block="preact", norm="none", activation="sigmoid", init="he", input_size=16)
    names, norms = grad_norms_at_init(cfg.replace(residual=False), batch=16, seed=0)
    zeros = int((norms == 0).sum())
    assert 0 < zeros < len(norms)
    plain_label = "Plain-110: input side ÷ output side" if lang == "en" else "플레인-110: 입력 쪽 ÷ 출력 쪽"
    assert metrics(at)[plain_label] == "0" and any(c.value.startswith(zero) for c in at.caption)
    reading = " ".join(i.value for i in at.info)
    assert (f"plain-110's layers near the input get no gradient at all (layers at exactly 0: {zeros})" if lang == "en"
            else f"플레인-110의 입력 쪽 층 {zeros}개는 그래디언트를 전혀 받지 못합니다") in reading
    # A fresh page, not a rerun: AppTest formats a Korean page's selectboxes in English on a rerun.
    at = open_page("gradients", lang, owner="grad0me", state={"gradients_depth": 110, "gradients_activation": "relu",
                                                               "gradients_init": "default"})
    assert metrics(at)[plain_label] == none
    verdicts = [x.value for x in at.markdown if x.value.startswith("**")]
    reading = " ".join(i.value for i in at.info)
    if lang == "en":
        assert verdicts[0].startswith("**Nothing at either end:** the gradient is exactly 0 in 110 of the layers")
        assert reading.startswith("**No gradient at either end of plain-110:** 110 of its 110 layers")
        assert "Meanwhile its residual twin's first layers get 0." in reading
    else:
        assert verdicts[0].startswith("**양쪽 끝 모두 0:**") and "0인 층이 110개" in verdicts[0]
        assert reading.startswith("**플레인-110은 양쪽 끝 모두 그래디언트가 없습니다:** 전체 110개 층 가운데 110개 층")
        assert "한편 잔차 쌍둥이의 처음 층은 마지막 층 대비 0." in reading
    assert "{" not in reading and " – the gradient" not in reading


def _finished_with_grads(store: RunStore, owner: str, residual: bool, loss: float = 1.0, acc: float = 0.5) -> int:
    cfg = arch_config("resnet20", residual=residual, in_channels=1, input_size=8, base_width=8)
    from resnet_core.nets.flops import count
    names = [r.name for r in count(cfg).rows if r.type in ("Conv2d", "Linear")]
    rid = store.create_run(cfg, experiments.recipe(steps=10), owner=owner, label=cfg.name, group="gradients")
    store.start_run(rid, device="cpu", layer_names=names, stat_names=[], total_steps=10)
    depth_decay = np.geomspace(1e-3 if not residual else 0.3, 1.0, len(names))
    steps = [SimpleNamespace(step=s, loss=loss, acc=acc, lr=0.1, seconds=0.1 * s,
                             grad_norms=(depth_decay * (1 + s / 10)).tolist()) for s in range(1, 11)]
    store.write_batch(rid, steps=steps)
    store.finish_run(rid, status="finished", seconds=1.0, steps_done=10, final_train_loss=loss,
                     final_train_acc=acc, test_acc=acc)
    return rid


def test_live_mode_draws_both_heatmaps_on_one_scale_and_the_profile(store):
    plain = _finished_with_grads(store, "grad1live", residual=False)
    res = _finished_with_grads(store, "grad1live", residual=True)
    at = open_gradients(owner="grad1live")
    at.segmented_control(key="gradients_mode").set_value("live").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="gradients_pick_plain").value == plain
    assert at.selectbox(key="gradients_pick_residual").value == res
    assert at.slider(key="gradients_at_step").value == 10
    plotly = [c for c in at.get("plotly_chart") if json.loads(c.proto.spec)["data"][0]["type"] == "heatmap"]
    assert len(plotly) == 2                  # the two heatmaps; the depth profile is SVG
    heat = [json.loads(c.proto.spec)["data"][0] for c in plotly]
    assert heat[0]["type"] == heat[1]["type"] == "heatmap"
    assert heat[0]["zmin"] == heat[1]["zmin"] and heat[0]["zmax"] == heat[1]["zmax"]
    [profile] = [c for c in svg_charts(at) if svg_title(c).startswith("Gradient norm against depth")]
    series = svg_series(profile)
    assert [name.split(" · ")[0] for name in series] == ["plain20", "resnet20"]
    # Step 10's stored norms (depth_decay * 2 in _finished_with_grads), each at log10 of itself.
    for name, residual in zip(series, (False, True)):
        stored = np.geomspace(1e-3 if not residual else 0.3, 1.0, len(series[name])) * 2
        values = [float(p[2].split("\n")[2].removeprefix("norm ")) for p in series[name]]
        np.testing.assert_allclose(values, stored, rtol=5e-3)
        on_log_axis(profile, list(stored), [p[1] for p in series[name]])


@pytest.mark.parametrize("lang, none, toggle", [("en", "No runs yet", "Show the whole class's runs"),
                                                ("ko", "아직 학습 기록이 없습니다", "반 전체의 학습 기록 보기")])
def test_live_mode_without_runs_invites_first_twins(store, lang, none, toggle):
    at = open_page("gradients", lang, owner="grad2none", state={"gradients_mode": "live"})
    # Only this browser's runs are listed: the message names the toggle that lists the class's.
    assert any(none in i.value and toggle in i.value for i in at.info)
    if lang == "ko":
        return
    assert any(b.label == "Train plain + residual" for b in at.get("form_submit_button")) or \
        any(b.label == "Train plain + residual" for b in at.button)


def test_the_form_queues_a_plain_net_and_its_residual_twin(store):
    at = open_gradients(owner="grad3pair")
    at.segmented_control(key="gradients_mode").set_value("live").run()
    at.toggle(key="gradients_live_bn").set_value(False)
    at.selectbox(key="gradients_live_activation").set_value("sigmoid")
    at.select_slider(key="gradients_live_steps").set_value(50)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    queued = sorted(store.list_runs(owner="grad3pair"), key=lambda r: r.id)
    assert [r.model_cfg.residual for r in queued] == [False, True]
    plain, res = (r.model_cfg for r in queued)
    assert plain == res.replace(residual=False)          # twins: only the shortcuts differ
    assert (plain.norm, plain.activation, plain.block) == ("none", "sigmoid", "preact")
    assert queued[0].train_cfg == queued[1].train_cfg
    assert (queued[0].train_cfg.steps, queued[0].train_cfg.lr, queued[0].train_cfg.dataset) == (50, 0.01, "digits")
    for r in queued:
        page_runs.cancel(r.id)
    wait_runs_ended(store, [r.id for r in queued], 60)


def test_korean_page_has_no_missing_text(store):
    at = open_gradients(lang="ko")
    assert at.title[0].value == "그래디언트 흐름"
    texts = [m.value for m in at.markdown] + [b.label for b in at.button] + [m.label for m in at.metric]
    assert not [x for x in texts if RAW_KEY.match(x)]
    assert re.fullmatch(r"\d\.\d\d×10[²³⁴⁵⁶⁷⁸⁹¹⁰]+분의 1", metrics(at)["플레인-56: 입력 쪽 ÷ 출력 쪽"])
    profile, gains = svg_charts(at)
    assert list(svg_series(profile)) == ["플레인-56", "잔차-56"]
    texts = {"".join(t.itertext()) for t in profile.iter() if t.tag.endswith("text")}
    assert "층 깊이 (1 = 입력 바로 다음)" in texts
    # The stages along the axis in Korean, as the page's sentences name them (never "stage2").
    assert {"스템", "스테이지 1", "스테이지 2", "스테이지 3", "FC"} <= texts and not {"stem", "stage2", "head"} & texts
    assert {"스테이지 2", "스테이지 3"} <= {"".join(t.itertext()) for t in gains.iter() if t.tag.endswith("text")}
    assert svg_series(profile)["잔차-56"][0][2].split("\n")[2].startswith("크기 ")     # the tooltip's word for norm
    assert "증폭률 1: 그래디언트 크기가 그대로" in {"".join(t.itertext()) for t in gains.iter() if t.tag.endswith("text")}
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("lang, stuck, learned", [("en", "did not learn", "learned, by this page's measure:"),
                                                   ("ko", "학습되지 않음", "학습됨.")])
def test_live_mode_shows_loss_and_accuracy_and_says_when_a_net_did_not_learn(store, lang, stuck, learned):
    owner = f"grad3{lang}"
    _finished_with_grads(store, owner, residual=False, loss=2.30, acc=0.106)   # at chance: ln 10, 1/10
    _finished_with_grads(store, owner, residual=True, loss=0.05, acc=0.99)
    # Korean widgets are set through the session: AppTest formats options outside the page, in English.
    at = open_page("gradients", lang, owner=owner, state={"gradients_mode": "live"})
    kinds = [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")]
    assert sorted(kinds) == ["heatmap", "heatmap", "scatter", "scatter"]   # loss and accuracy beside the heatmaps
    warned = [w.value for w in at.warning]
    assert any(stuck in w and "2.30" in w and "10.6%" in w and "ln 10" in w for w in warned), warned
    # The heat maps are drawn under the sentences, never above them.
    assert any({"en": "Its gradients below", "ko": "아래의 그래디언트"}[lang] in w for w in warned), warned
    assert any(learned in s.value and "99.0%" in s.value for s in at.success)
    assert not any(stuck in s.value for s in at.success)


@pytest.mark.parametrize("lang, stuck, slow, bar", [("en", "did not learn, by this page's measure", "learned only a little", "above 0.8 × ln 10 ≈ 1.84"),
                                                      ("ko", "이 페이지의 기준으로는 학습되지 않음", "조금만 학습됨", "0.8 × ln 10 ≈ 1.84보다 크고")])
def test_live_verdict_reads_loss_and_accuracy_as_the_sentence_shows_them(store, lang, stuck, slow, bar):
    """Two runs both shown at 20.0% (19.96% and 20.04%) get the same verdict, and the sentence
    states the page's bar for "did not learn" rather than "about what guessing gets"."""
    owner = f"grad6{lang}"
    _finished_with_grads(store, owner, residual=False, loss=2.00, acc=0.1996)
    _finished_with_grads(store, owner, residual=True, loss=2.00, acc=0.2004)
    at = open_page("gradients", lang, owner=owner, state={"gradients_mode": "live"})
    warned = [w.value for w in at.warning]
    assert len([w for w in warned if stuck in w and "20.0%" in w and bar in w]) == 2, warned
    assert not any(slow in w for w in warned), warned


@pytest.mark.parametrize("lang, learned, low_acc", [
    ("en", "learned, by this page's measure:** it ends at training loss 1.84, at most 0.8 × ln 10 ≈ 1.84, and training accuracy 20.1%",
     "learned only a little, by this page's measure:** its training loss fell to 1.61, at most 0.8 × ln 10 ≈ 1.84, but its training accuracy 20.0% is at most twice"),
    ("ko", "학습됨.** 최종 학습 손실 1.84는 0.8 × ln 10 ≈ 1.84 이하이고, 학습 정확도 20.1%는",
     "조금만 학습됨.** 최종 학습 손실 1.61은 0.8 × ln 10 ≈ 1.84 이하로 내려갔지만, 학습 정확도 20.0%는")])
def test_live_verdict_says_learned_only_when_loss_and_accuracy_both_pass_their_bars(store, lang, learned, low_acc):
    """A loss under the bar is not "learned" while the accuracy beside it is still at most twice
    chance (ln 5 = 1.61 at 20%: a net that tells two groups of five digits apart)."""
    owner = f"grad7{lang}"
    _finished_with_grads(store, owner, residual=False, loss=1.61, acc=0.20)
    _finished_with_grads(store, owner, residual=True, loss=1.84, acc=0.201)
    at = open_page("gradients", lang, owner=owner, state={"gradients_mode": "live"})
    assert [s.value for s in at.success if learned in s.value], [s.value for s in at.success]
    assert [w.value for w in at.warning if low_acc in w.value], [w.value for w in at.warning]
    assert len(at.success) == 1


@pytest.mark.parametrize("lang, csv, zip_label, no_weights", [
    ("en", "Download CSV", "Download as PyTorch (zip)", "finished, but its weights are no longer on the server"),
    ("ko", "CSV 내려받기", "PyTorch로 내려받기 (zip)", "학습을 마쳤지만 가중치가 더 이상 서버에 없습니다")])
def test_the_live_run_list_takes_a_run_home_as_other_run_lists_do(store, lang, csv, zip_label, no_weights):
    """The runs shown can be taken home as on Build & Train: the picked run's metrics as a CSV
    and, once it has left weights, the run as a PyTorch zip; a run without weights says so."""
    from resnet_core import build_model

    owner = f"grad5{lang}"
    plain = _finished_with_grads(store, owner, residual=False)
    res = _finished_with_grads(store, owner, residual=True)
    # only the residual run has weights; the plain one's went as the folder's bound drops them
    store.save_checkpoint(res, build_model(store.get_run(res).model_cfg))
    at = open_page("gradients", lang, owner=owner, state={"gradients_mode": "live"})
    assert not at.exception and not at.error
    pick = at.selectbox(key="gradients_export_run")
    assert pick.options == [f"#{plain} plain20", f"#{res} resnet20"]      # the two runs shown above
    assert pick.value == plain
    buttons = {b.proto.id.split("-")[-1]: b.proto.label for b in at.get("download_button")}
    assert buttons.get("gradients_export_csv") == csv and "gradients_export_zip" not in buttons
    captions = " ".join(c.value for c in at.caption)
    assert f"#{plain}" in captions and no_weights in captions, captions
    at.selectbox(key="gradients_export_run").set_value(res).run()
    assert not at.exception
    buttons = {b.proto.id.split("-")[-1]: b.proto.label for b in at.get("download_button")}
    assert buttons.get("gradients_export_csv") == csv and buttons.get("gradients_export_zip") == zip_label
    csv_rows = exports.metrics_csv(res).splitlines()
    assert csv_rows[0].startswith("step,train_loss") and len(csv_rows) == 11   # every recorded step
