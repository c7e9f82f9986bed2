"""The Gradient flow page under AppTest. At initialisation the page must show what was measured:
sigmoid without BN vanishes in the plain net and not in the pre-activation residual net; with
ReLU + BN (the paper's setting) the plain net does not vanish at all. The live mode draws the
heatmaps and the profile of runs from the store (written here directly, no training)."""

from types import SimpleNamespace

import numpy as np
import pytest
from apptest_helpers import APP, RAW_KEY, metrics, open_page, own_store
from streamlit.testing.v1 import AppTest

from resnet_core import arch_config
from resnet_core.store.runs import RunStore
from resnet_core.training import experiments
from ui import runs


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
    table = at.dataframe[0].value
    return dict(zip(table["net"], table["median gain per block"].astype(float)))


def test_default_shows_real_vanishing_in_the_plain_net_only(store):
    at = open_gradients()
    assert at.selectbox(key="gradients_activation").value == "sigmoid"
    assert at.toggle(key="gradients_norm").value is False
    m = metrics(at)
    assert m["Plain-56: input side ÷ output side"] == "0 (nothing arrives)"
    residual = ratio(m["Residual-56: input side ÷ output side"])
    assert 1e-3 < residual < 10
    verdicts = [x.value for x in at.markdown if x.value.startswith("**")]
    assert verdicts[0].startswith("**Vanished:**") and verdicts[1].startswith("**Within a factor of a thousand:**")
    reading = " ".join(i.value for i in at.info)
    assert "This is real vanishing" in reading and "pre-activation blocks" in reading
    assert any("Pre-activation blocks (He et al. 2016)" in c.value for c in at.caption)   # the preset's switch, said
    assert any("exact here" in m.value for m in at.markdown)        # 1 + dF/dx is exact for pre-activation
    gains = gain_table(at)                   # the 1 + dF/dx argument, measured
    assert gains["Residual-56"] == pytest.approx(1.0, abs=0.05) and gains["Plain-56"] < 0.2
    assert len(at.get("plotly_chart")) == 2  # the depth profile and the per-block gains


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
    assert metrics(at)["Plain-56: input side ÷ output side"] == "0 (nothing arrives)"


def _finished_with_grads(store: RunStore, owner: str, residual: bool) -> int:
    cfg = arch_config("resnet20", residual=residual, in_channels=1, input_size=8, base_width=8)
    from resnet_core.nets.flops import count
    names = [r.name for r in count(cfg).rows if r.type in ("Conv2d", "Linear")]
    rid = store.create_run(cfg, experiments.recipe(steps=10), owner=owner, label=cfg.name, group="gradients")
    store.start_run(rid, device="cpu", layer_names=names, stat_names=[], total_steps=10)
    depth_decay = np.geomspace(1e-3 if not residual else 0.3, 1.0, len(names))
    steps = [SimpleNamespace(step=s, loss=1.0, acc=0.5, lr=0.1, seconds=0.1 * s,
                             grad_norms=(depth_decay * (1 + s / 10)).tolist()) for s in range(1, 11)]
    store.write_batch(rid, steps=steps)
    store.finish_run(rid, status="finished", seconds=1.0, steps_done=10, final_train_loss=1.0,
                     final_train_acc=0.5, test_acc=0.5)
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
    charts = at.get("plotly_chart")
    assert len(charts) == 3                  # two heatmaps and the depth profile
    import json
    heat = [json.loads(c.proto.spec)["data"][0] for c in charts[:2]]
    assert heat[0]["type"] == heat[1]["type"] == "heatmap"
    assert heat[0]["zmin"] == heat[1]["zmin"] and heat[0]["zmax"] == heat[1]["zmax"]
    profile = json.loads(charts[2].proto.spec)
    assert profile["layout"]["yaxis"]["type"] == "log"
    assert [tr["name"].split(" · ")[0] for tr in profile["data"]] == ["plain20", "resnet20"]


def test_live_mode_without_runs_invites_a_first_pair(store):
    at = open_gradients(owner="grad2none")
    at.segmented_control(key="gradients_mode").set_value("live").run()
    assert any("No runs yet" in i.value for i in at.info)
    assert any(b.label == "Train plain + residual" for b in at.get("form_submit_button")) or \
        any(b.label == "Train plain + residual" for b in at.button)


def test_the_form_queues_a_plain_net_and_its_residual_twin(store):
    import time

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
        runs.cancel(r.id)
    deadline = time.monotonic() + 60
    while any(store.get_run(r.id).status in ("queued", "running") for r in queued):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_korean_page_has_no_missing_text(store):
    at = open_gradients(lang="ko")
    assert at.title[0].value == "그래디언트 흐름"
    texts = [m.value for m in at.markdown] + [b.label for b in at.button] + [m.label for m in at.metric]
    assert not [x for x in texts if RAW_KEY.match(x)]
    assert metrics(at)["플레인-56: 입력 쪽 ÷ 출력 쪽"] == "0 (아무것도 도달하지 않음)"
