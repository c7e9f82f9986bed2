"""The BatchNorm page under AppTest: the one-layer example shows what torch.nn.BatchNorm2d
computes, in training and in eval mode; the activation profiles with and without BN; both
languages; and the nets trained with and without BN, measured again after training."""

import numpy as np
import pytest
import torch
from apptest_helpers import (
    RAW_KEY,
    markdown_tables,
    metrics,
    open_page,
    own_store,
    svg_bars,
    svg_charts,
    svg_series,
    svg_y_ticks,
)
from streamlit.testing.v1 import AppTest
from torch import nn

from resnet_core.inspection import bn_demo
from resnet_core.jobs import runner as jobs
from resnet_core.store import retention
from resnet_core.training import experiments
from ui.draw import style


@pytest.fixture(scope="module", autouse=True)
def runner(tmp_path_factory):
    """A job runner on a throw-away store of our own, which every page here picks up; the previous
    runner and environment come back afterwards."""
    with own_store(tmp_path_factory, "batchnorm"):
        yield jobs.get_runner()


def open_batchnorm(lang: str = "en") -> AppTest:
    return open_page("batchnorm", lang)


def torch_outputs(batch: int, warm: int, gamma: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Channel 0 of the page's batch through nn.BatchNorm2d after the same warm-up batches:
    the training-mode output, then the eval-mode output."""
    ex = bn_demo.bn_example(batch, 2, 2, gamma=gamma, beta=beta, warm_batches=warm)
    rng = np.random.default_rng(0)                   # bn_example's default seed, same draws
    offset = (3.0 + np.arange(2)).reshape(1, -1, 1, 1)
    bn = nn.BatchNorm2d(2)
    with torch.no_grad():
        bn.weight.fill_(gamma)
        bn.bias.fill_(beta)
        for _ in range(warm):
            bn(torch.from_numpy((offset + 2.0 * rng.standard_normal((batch, 2, 2, 2))).astype(np.float32)))
        x = torch.from_numpy(ex.x).float()
        assert torch.equal(x, torch.from_numpy((offset + 2.0 * rng.standard_normal((batch, 2, 2, 2)))
                                               .astype(np.float32)))
        train = bn(x)[:, 0].reshape(-1).double().numpy()
        evaluated = bn.eval()(x)[:, 0].reshape(-1).double().numpy()
    return train, evaluated


def shown_values(at: AppTest) -> tuple[np.ndarray, np.ndarray]:
    table = markdown_tables(at)[1]
    return (table["train output γx̂ + β"].astype(float).to_numpy(),
            table["eval output (running stats)"].astype(float).to_numpy())


def test_one_layer_matches_torch_batchnorm2d():
    at = open_batchnorm()
    assert at.title[0].value == "BatchNorm"
    train, evaluated = torch_outputs(4, 0, 1.5, 0.5)
    shown_train, shown_eval = shown_values(at)
    np.testing.assert_allclose(shown_train, train[:8], atol=6e-4)     # shown to 3 decimals
    np.testing.assert_allclose(shown_eval, evaluated[:8], atol=6e-4)
    m = metrics(at)
    assert m["Train mode, channel 0: mean / std"] == "0.500 / 1.500"  # beta and gamma, exactly
    assert float(m["Largest gap to torch.nn.BatchNorm2d"]) < 1e-5
    # A fresh layer's running statistics barely normalise: eval keeps the input's offset of ~3.
    assert float(m["Eval mode, channel 0: mean / std"].split(" / ")[0]) > 2.0
    stats = markdown_tables(at)[0]
    assert list(stats["running mean / var before"]) == ["0.000 / 1.000", "0.000 / 1.000"]


def test_warm_running_statistics_make_eval_agree_with_train():
    at = open_batchnorm()
    at.slider(key="batchnorm_batch").set_value(16)
    at.select_slider(key="batchnorm_warm").set_value(200)
    at.slider(key="batchnorm_gamma").set_value(2.0)
    at.slider(key="batchnorm_beta").set_value(-1.0).run()
    assert not at.exception
    train, evaluated = torch_outputs(16, 200, 2.0, -1.0)
    shown_train, shown_eval = shown_values(at)
    np.testing.assert_allclose(shown_train, train[:8], atol=6e-4)
    np.testing.assert_allclose(shown_eval, evaluated[:8], atol=6e-4)
    mean, std = (float(v) for v in metrics(at)["Eval mode, channel 0: mean / std"].split(" / "))
    assert abs(mean - (-1.0)) < 0.5 and abs(std - 2.0) < 0.6
    assert any("close to the data's true mean" in m.value for m in at.markdown)
    assert "The first 8 of the channel's 64 values." in [c.value for c in at.caption]


def fresh_profile(kind: str, depth: int, norm: str) -> bn_demo.LayerProfile:
    """What the page measures, measured again here: the BN experiment's net, fresh, on 256 digits."""
    [cfg] = [m for _, m, _ in experiments.bn_configs("digits", depth=depth)
             if m.residual == (kind == "residual") and m.norm == norm]
    return bn_demo.init_profile(cfg, "digits", n=256)


def log_y(root, value: float) -> float:
    (va, ya), (vb, yb) = svg_y_ticks(root)[0], svg_y_ticks(root)[-1]
    return ya + (np.log10(value) - np.log10(va)) / (np.log10(vb) - np.log10(va)) * (yb - ya)


def test_the_profile_and_histograms_draw_the_measured_activations():
    at = open_batchnorm()
    assert not at.get("plotly_chart")                     # inline SVG: no chart library on arrival
    std, hist = svg_charts(at)
    series = svg_series(std)
    assert list(series) == ["with BN", "without BN"]
    for name, norm in (("with BN", "batch"), ("without BN", "none")):
        prof = fresh_profile("plain", 20, norm)
        points = series[name]
        assert [p[2].split("\n")[1].split(": ")[0] for p in points] == prof.names
        shown = [float(p[2].split(": ")[1]) for p in points]
        np.testing.assert_allclose(shown, prof.std, rtol=5e-3)
        np.testing.assert_allclose([p[1] for p in points], [log_y(std, v) for v in prof.std], atol=0.15)
    # The last layer's histograms (the slider's default), per net: every non-empty bin's share.
    bars = svg_bars(hist)
    expected = []
    for norm in ("batch", "none"):
        counts, edges = fresh_profile("plain", 20, norm).hists[-1]
        share = 100 * counts / counts.sum()
        expected += [f"{(a + b) / 2:.3g}: {v:.2f}%" for a, b, v in zip(edges[:-1], edges[1:], share) if v > 0]
    assert len(bars) == len(expected)
    got = [b[4] for b in bars]
    assert [float(g.split(": ")[1].rstrip("%")) for g in got] == pytest.approx(
        [float(e.split(": ")[1].rstrip("%")) for e in expected], abs=0.006)


def test_activation_profiles_at_initialisation():
    at = open_batchnorm()
    m = metrics(at)
    with_bn, without = (float(m[net].removeprefix("σ = ")) for net in ("with BN", "without BN"))
    # Plain-20 at its last layer: BN keeps the scale, without BN the signal has faded.
    assert 0.3 < with_bn < 1.0 and without < 0.1 * with_bn
    plain_said = next(x.value for x in at.markdown if x.value.startswith("**Plain net, measured here.**"))
    at.segmented_control(key="batchnorm_init_kind").set_value("residual").run()
    assert not at.exception
    # The residual reading gives the chart's own last-over-first ratios, with and without BN, and
    # does not say which way they go: at 8 layers without BN the signal shrinks, at 56 it grows.
    said = next(x.value for x in at.markdown if x.value.startswith("**Residual net, measured here.**"))
    nets = {m.norm: m for _, m, _ in experiments.bn_configs("digits", depth=20) if m.residual}
    for norm in ("none", "batch"):
        std = bn_demo.init_profile(nets[norm], "digits", n=256).std
        assert style.fmt_ratio(float(std[-1] / std[0]), "en") in said
    plain = {m.norm: m for _, m, _ in experiments.bn_configs("digits", depth=20) if not m.residual}
    std = bn_demo.init_profile(plain["none"], "digits", n=256).std
    assert f"signal is {style.fmt_ratio(float(std[-1] / std[0]), 'en')} the size of the first's" in plain_said
    # A deep net's last layer picked, then a shallow net: the layer slider follows, no error.
    at.select_slider(key="batchnorm_init_depth").set_value(56).run()
    at.select_slider(key="batchnorm_init_layer").set_value(54).run()
    at.select_slider(key="batchnorm_init_depth").set_value(8).run()
    assert not at.exception and not at.error
    assert at.select_slider(key="batchnorm_init_layer").value == 6   # the last of 7 ReLUs


def test_korean_has_no_missing_text():
    at = open_batchnorm("ko")
    assert at.title[0].value == "배치 정규화 (BN)"
    texts = ([m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
             + [m.label for m in at.metric] + list(markdown_tables(at)[0].columns))
    assert not [x for x in texts if RAW_KEY.match(x)], "a key without a translation is showing"
    assert {"BN 있음", "BN 없음"} <= set(metrics(at))
    std, hist = svg_charts(at)
    assert list(svg_series(std)) == ["BN 있음", "BN 없음"]
    texts = {"".join(t.itertext()) for chart in (std, hist) for t in chart.iter() if t.tag.endswith("text")}
    assert {"활성화 층 (입력 → 출력)", "활성값의 표준편차 (로그 축)", "활성값", "값의 비율 (%, 로그 축)"} <= texts
    assert not at.get("plotly_chart")
    said = [x.value for x in at.markdown if x.value.startswith("**플레인 네트워크, 여기서 측정한 값.**")]
    assert said and "배" in said[0] and "배배" not in said[0] and "e-" not in said[0].split("(")[0]


def test_trained_with_and_without_bn_then_measured_again(runner):
    at = open_batchnorm()
    at.select_slider(key="batchnorm_train_depth").set_value(8)
    at.select_slider(key="batchnorm_train_steps").set_value(50)
    at.button(key="batchnorm_train").click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    ids = at.session_state["batchnorm_run_ids"]
    assert len(ids) == 4
    assert [runner.wait(i, timeout=300) for i in ids] == ["finished"] * 4
    at.run()
    assert not at.exception and not at.error
    assert "Activations after training" in [s.value for s in at.subheader]
    m = metrics(at)
    for net in ("plain-8 BN", "plain-8 no BN", "ResNet-8 BN", "ResNet-8 no BN"):
        assert m[net].startswith("σ = ")
    # Measured in eval mode from the checkpoints: BN keeps the plain net's last layer at scale.
    assert float(m["plain-8 BN"].removeprefix("σ = ")) > 3 * float(m["plain-8 no BN"].removeprefix("σ = "))
    assert any(x.value.startswith("Standard deviation of every ReLU's output, recorded during training")
               for x in at.markdown)
    # Recorded during training (last step's batch statistics) and measured after it: both SVG,
    # each run's line carrying the stored or measured numbers.
    charts = svg_charts(at)
    recorded = runner.store.stats(ids[0])
    by_title = [list(svg_series(c)) for c in charts]
    assert by_title.count(["plain-8 BN", "plain-8 no BN", "ResNet-8 BN", "ResNet-8 no BN"]) == 2
    first = svg_series(charts[by_title.index(["plain-8 BN", "plain-8 no BN", "ResNet-8 BN", "ResNet-8 no BN"])])
    np.testing.assert_allclose([float(p[2].split(": ")[1]) for p in first["plain-8 BN"]], recorded.std[-1], rtol=5e-3)
    import json
    curves = [json.loads(c.proto.spec)["layout"]["yaxis"]["title"]["text"] for c in at.get("plotly_chart")]
    assert curves == ["training loss (cross-entropy, log scale)", "held-out accuracy (fraction correct)"]


def test_only_residual_nets_and_none_at_all(runner):
    at = open_batchnorm()
    at.select_slider(key="batchnorm_train_depth").set_value(8)
    at.select_slider(key="batchnorm_train_steps").set_value(50)
    at.segmented_control(key="batchnorm_train_kinds").set_value([]).run()
    at.button(key="batchnorm_train").click().run()
    assert [w.value for w in at.warning] == ["Pick at least one network (plain or residual) to train."]
    at.segmented_control(key="batchnorm_train_kinds").set_value(["residual"]).run()
    at.button(key="batchnorm_train").click().run()
    ids = at.session_state["batchnorm_run_ids"]
    assert len(ids) == 2
    assert [runner.wait(i, timeout=300) for i in ids] == ["finished"] * 2
    assert [runner.store.get_run(i).label for i in ids] == ["ResNet-8 BN", "ResNet-8 no BN"]


def test_after_training_says_why_a_checkpoint_is_missing(runner):
    """A finished run whose checkpoint was dropped (the folder's bound) and a run that did not
    finish each get their own sentence, in both languages."""
    at = open_batchnorm()
    at.select_slider(key="batchnorm_train_depth").set_value(14)
    at.select_slider(key="batchnorm_train_steps").set_value(50)
    at.segmented_control(key="batchnorm_train_kinds").set_value(["plain"]).run()
    at.button(key="batchnorm_train").click().run()
    ids = at.session_state["batchnorm_run_ids"]
    assert [runner.wait(i, timeout=300) for i in ids] == ["finished"] * 2
    gone = runner.store.get_run(ids[1])
    assert gone.label == "plain-14 no BN"
    retention.drop(runner.store, ids[1])

    def captions(lang: str) -> list[str]:
        page = open_page("batchnorm", lang, state={"batchnorm_run_ids": ids})
        return [c.value for c in page.caption]

    dropped = {"en": "No checkpoint any more (training finished, but when the checkpoint folder is full, the "
                     "checkpoints of the runs that ended longest ago are dropped first): plain-14 no BN.",
               "ko": "체크포인트가 더 이상 없음 (학습은 끝났지만, 체크포인트 폴더가 가득 차면 가장 오래전에 끝난 "
                     "학습 기록의 체크포인트부터 지웁니다): 플레인-14 BN 없음."}
    missing = {"en": "No checkpoint (training did not finish): plain-14 no BN.",
               "ko": "체크포인트 없음 (학습이 끝나지 않음): 플레인-14 BN 없음."}
    for lang in ("en", "ko"):
        said = captions(lang)
        assert dropped[lang] in said and missing[lang] not in said, said
    # The same run as a stopped one leaves: status "cancelled", no checkpoint.
    runner.store.finish_run(ids[1], status="cancelled", seconds=gone.seconds or 0.0, steps_done=gone.steps_done,
                            final_train_loss=gone.final_train_loss, final_train_acc=gone.final_train_acc,
                            test_acc=gone.test_acc)
    for lang in ("en", "ko"):
        said = captions(lang)
        assert missing[lang] in said and dropped[lang] not in said, said
    # No run kept a checkpoint: the section still says why, under its title, with no charts.
    retention.drop(runner.store, ids[0])
    both = {"en": "No checkpoint any more (training finished, but when the checkpoint folder is full, the "
                  "checkpoints of the runs that ended longest ago are dropped first): plain-14 BN.",
            "ko": "체크포인트가 더 이상 없음 (학습은 끝났지만, 체크포인트 폴더가 가득 차면 가장 오래전에 끝난 "
                  "학습 기록의 체크포인트부터 지웁니다): 플레인-14 BN."}
    for lang, title in (("en", "Activations after training"), ("ko", "학습 후의 활성값")):
        page = open_page("batchnorm", lang, state={"batchnorm_run_ids": ids})
        said = [c.value for c in page.caption]
        assert both[lang] in said and missing[lang] in said, said
        assert title in [h.value for h in page.subheader]


def test_runs_stopped_before_they_started_did_not_finish_and_support_no_finding(runner):
    """Stopped while still queued, a run stores no loss: its row says it did not finish (not "blew
    up"), and no reading is drawn from it, in both languages."""
    from resnet_core.store import groups
    ids, experiment = [], None
    for label, cfg, train_cfg in experiments.bn_configs("digits", depth=20, steps=50):
        rid = runner.store.create_run(cfg, train_cfg, owner="bnstopped", label=label, group=groups.BATCHNORM,
                                      experiment=experiment)
        experiment = runner.store.get_run(rid).experiment
        if label.endswith("no BN"):
            runner.store.set_status(rid, "cancelled", "cancelled before it started")
        else:
            runner.store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
            runner.store.finish_run(rid, status="finished", seconds=1.0, steps_done=50, final_train_loss=0.1,
                                    final_train_acc=0.9, test_acc=0.9)
        ids.append(rid)
    said = {"en": ("**plain-20 no BN**: –, did not finish", "blew up", "BN made the plain net trainable",
                   "Without BN the residual net did not learn"),
            "ko": ("**플레인-20 BN 없음**: –, 끝나지 않음", "발산함", "BN 덕분에", "BN 없이는 잔차 네트워크가")}
    for lang, (row, *never) in said.items():
        page = open_page("batchnorm", lang, owner="bnstopped", state={"batchnorm_run_ids": ids})
        text = "\n".join(m.value for m in page.markdown)
        assert row in text and not any(n in text for n in never), text[-1500:]


BETTER = {"en": "**With BN, the residual net fit its training data better than the plain one:**",
          "ko": "**BN이 있을 때 잔차 네트워크가 플레인 네트워크보다 학습 데이터를 더 잘 맞혔습니다:**"}
ALIKE = {"en": "about as well", "ko": "거의 같은 정도로"}


@pytest.mark.parametrize("plain_loss, residual_loss, shown, residual_better", [
    # 0.15051 against 0.12049 reads "0.151" and "0.120", 20.5% apart: the residual net fit better,
    # never "within 20%" beside them (on the unrounded losses they were within it).
    (0.15051, 0.12049, ("0.151", "0.120"), True),
    # Exactly 20% apart as shown (0.007 of 0.035): within the margin the sentence states, though in
    # floating point 0.035 - 0.028 is a hair above 0.2 * 0.035.
    (0.035, 0.028, ("0.035", "0.028"), False)])
def test_the_reading_judges_the_losses_as_the_rows_show_them(runner, plain_loss, residual_loss, shown,
                                                             residual_better):
    """The finding is chosen on the three-decimal losses the rows show, the 20% edge exact."""
    from resnet_core.store import groups
    owner = f"bnround{int(residual_better)}"
    losses = {"plain-20 BN": plain_loss, "plain-20 no BN": 2.30, "ResNet-20 BN": residual_loss, "ResNet-20 no BN": 2.30}
    ids, experiment = [], None
    for label, cfg, train_cfg in experiments.bn_configs("digits", depth=20, steps=50):
        rid = runner.store.create_run(cfg, train_cfg, owner=owner, label=label, group=groups.BATCHNORM,
                                      experiment=experiment)
        experiment = runner.store.get_run(rid).experiment
        runner.store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        runner.store.finish_run(rid, status="finished", seconds=1.0, steps_done=50, final_train_loss=losses[label],
                                final_train_acc=0.9, test_acc=0.9)
        ids.append(rid)
    rows = {"en": (f"**plain-20 BN**: {shown[0]}, learned", f"**ResNet-20 BN**: {shown[1]}, learned"),
            "ko": (f"**플레인-20 BN**: {shown[0]}, 학습됨", f"**ResNet-20 BN**: {shown[1]}, 학습됨")}
    for lang, (plain, residual) in rows.items():
        page = open_page("batchnorm", lang, owner=owner, state={"batchnorm_run_ids": ids})
        text = "\n".join(m.value for m in page.markdown)
        said, not_said = (BETTER, ALIKE) if residual_better else (ALIKE, BETTER)
        assert plain in text and residual in text and said[lang] in text and not_said[lang] not in text, text[-1500:]


@pytest.mark.parametrize("lang, names, row", [
    ("en", ["plain-20 BN", "plain-20 no BN", "ResNet-20 BN", "ResNet-20 no BN"], "**plain-20 no BN**: 2.300, did not learn"),
    ("ko", ["플레인-20 BN", "플레인-20 BN 없음", "ResNet-20 BN", "ResNet-20 BN 없음"], "**플레인-20 BN 없음**: 2.300, 학습되지 않음"),
])
def test_runs_that_served_the_press_are_named_as_this_page_names_them(runner, lang, names, row):
    """The Gradient flow page's pair trained with BN off is this page's two nets without BN (same
    configs, same recipe: resnet_core.jobs.sharing serves the press with them), stored there as
    "plain-20" and "ResNet-20". Here they are "plain-20 no BN" and "ResNet-20 no BN", in the progress
    rows and the measured rows alike, never "plain-20": that is the net with BN elsewhere in the app."""
    from apptest_helpers import progress_bars

    from resnet_core.store import groups
    owner, ids, experiment = f"bnserved{lang}", [], None
    for label, cfg, train_cfg in experiments.bn_configs("digits", depth=20, steps=50):
        theirs = cfg.norm == "none"
        rid = runner.store.create_run(cfg, train_cfg, owner="bnservedgrad" if theirs else owner,
                                      label=cfg.kind if theirs else label,
                                      group=groups.GRADIENTS if theirs else groups.BATCHNORM,
                                      experiment=None if theirs else experiment)
        experiment = experiment if theirs else runner.store.get_run(rid).experiment
        runner.store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        runner.store.finish_run(rid, status="finished", seconds=1.0, steps_done=50,
                                final_train_loss=2.30 if theirs else 0.1, final_train_acc=0.9, test_acc=0.9)
        ids.append(rid)
    page = open_page("batchnorm", lang, owner=owner, state={"batchnorm_run_ids": ids})
    assert [label for label, *_ in progress_bars(page)] == names
    text = "\n".join(m.value for m in page.markdown)
    bare = "**plain-20**:" if lang == "en" else "**플레인-20**:"
    assert row in text and bare not in text, text[-1500:]


@pytest.mark.parametrize("lang, drawn, depends", [
    ("en", "values are drawn at random with mean 3, channel 1's with mean 4, both with standard deviation 2",
     "only as far as this batch's own mean and variance"),
    ("ko", "채널 0은 평균 3, 채널 1은 평균 4이고 둘 다 표준편차가 2(분산 4)인 분포",
     "이 배치의 평균과 분산(위 표)이 데이터의 것에 얼마나 가까운지에 달려 있습니다"),
])
def test_the_one_layer_text_holds_for_a_batch_that_strays(lang, drawn, depends):
    """Four images after 50 batches: the running statistics have caught up, yet this batch's own mean
    sits far from the data's, so eval mode's output is far from beta (-0.150 against 0.500). The text
    states the distribution the values are drawn from (bn_demo's shift 3 and spread 2) and says eval
    mode's output is near beta and gamma only as far as the batch matches the data, never "nearly"."""
    import inspect
    defaults = inspect.signature(bn_demo.bn_example).parameters
    assert (defaults["shift"].default, defaults["spread"].default) == (3.0, 2.0)
    at = open_batchnorm(lang)
    at.select_slider(key="batchnorm_warm").set_value(50).run()
    assert not at.exception
    label = "Eval mode, channel 0: mean / std" if lang == "en" else "평가 모드, 채널 0: 평균 / 표준편차"
    mean = float(metrics(at)[label].split(" / ")[0])
    assert abs(mean - 0.5) > 0.5    # the case the old "nearly what training mode gives" got wrong
    text = " ".join(m.value for m in at.markdown)
    assert drawn in text and depends in text
    assert "nearly what training mode gives" not in text and "거의 같아집니다" not in text


@pytest.mark.parametrize("lang, closing, depends", [
    ("en", "The running statistics are closing in on the data's mean and variance but are not there yet",
     "only as far as these running statistics, and this batch's own mean and variance (the table above)"),
    ("ko", "데이터의 평균과 분산에 가까워지고 있지만 아직 다 따라잡지는 못했습니다",
     "이동 통계와 이 배치의 평균·분산(위 표)이 각각 데이터의 것에 얼마나 가까운지에 달려 있습니다"),
])
def test_partway_says_closing_in_of_the_running_statistics_not_of_one_batch(lang, closing, depends):
    """Eight images: after 20 batches eval mode's mean is further from beta than after 10 (one batch
    strays), while the running statistics are nearer the data's. "Closing in" is said of them, and
    eval mode's output is near beta and gamma only as far as they and this batch are."""
    at = open_batchnorm(lang)
    at.slider(key="batchnorm_batch").set_value(8).run()
    label = "Eval mode, channel 0: mean / std" if lang == "en" else "평가 모드, 채널 0: 평균 / 표준편차"
    away = []
    for warm in (10, 20):
        at.select_slider(key="batchnorm_warm").set_value(warm).run()
        assert not at.exception
        away.append(abs(float(metrics(at)[label].split(" / ")[0]) - 0.5))
        text = " ".join(m.value for m in at.markdown)
        assert closing in text and depends in text
        assert "Eval mode is closing in" not in text and "평가 모드가 학습 모드" not in text
    assert away[1] > away[0]   # the case the old "eval mode is closing in on training mode" got wrong


@pytest.mark.parametrize("lang, already", [
    ("en", "These nets are already trained on this server"), ("ko", "이 설정의 네트워크는 이 서버에서 이미 학습을 마쳤습니다")])
def test_the_cost_line_counts_only_what_the_press_would_train(tmp_path_factory, lang, already):
    """A classmate's press at the page's defaults serves this one at once (resnet_core.jobs.sharing): the
    cost line says so instead of "4 runs, about 40 s", and "nothing yet" says it is this browser's."""
    from resnet_core.jobs import sharing
    from resnet_core.store import groups
    from resnet_core.store.runs import RunStore
    with own_store(tmp_path_factory, f"batchnorm_cost{lang}") as db:
        store, runner = RunStore(db), jobs.get_runner()
        for label, m, tc in experiments.bn_configs("digits", depth=20, steps=300):
            tc = runner._on_device(tc)
            rid = store.create_run(m, tc, owner="classm8", label=label, group=groups.BATCHNORM)
            store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=300)
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=0.1,
                             final_train_acc=0.9, test_acc=0.9)
            sharing.remember(store, rid, sharing.run_key(m, tc))
        captions = [c.value for c in open_page("batchnorm", lang, owner=f"bncost{lang}").caption]
        assert any(already in c for c in captions) and not any(":material/timer:" in c for c in captions), captions
        # Beside "already trained on this server", "none yet" is this browser's, not the server's.
        none = {"en": "Nothing started from this browser yet", "ko": "이 브라우저에서 시작한 학습이 아직 없습니다"}[lang]
        assert any(none in c for c in captions), captions
