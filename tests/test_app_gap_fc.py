"""The GAP vs FC page under AppTest: the head counts of ResNet-34 and VGG-19, and the live
input-size demonstration explained in words, never as a traceback."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from ui.page import nav

APP = "../app.py"
RAW_KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_\-]+)+$")


def open_gap_fc(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)   # the page now also reads the run store
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(nav.file_of("gap-fc")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_defaults_are_resnet34s_head():
    at = open_gap_fc()
    assert metrics(at) == {"Flatten + FC": "25,089,000", "GAP + FC": "513,000", "GAP needs": "48.9× fewer"}
    assert any("7×7×512×1000 + 1000 = 25,089,000" in m.value for m in at.markdown)
    # Both figures are inline SVG: the first visit needs no chart library (ui/draw/bar_charts.py).
    figures = [m.value for m in at.markdown if m.value.startswith("<svg")]
    assert len(figures) == 2 and "25,089,000" in figures[0] and "VGG-19" in figures[1]
    assert not at.get("plotly_chart")


def test_counts_follow_the_widgets():
    at = open_gap_fc()
    at.slider(key="gap_fc_spatial").set_value(1).run()
    assert metrics(at)["Flatten + FC"] == metrics(at)["GAP + FC"] == "513,000"
    assert metrics(at)["GAP needs"].startswith("as many")        # not "1× fewer"
    at.number_input(key="gap_fc_classes").set_value(10).run()
    assert metrics(at)["GAP + FC"] == "5,130"


def test_vgg19_fc_layers_hold_most_parameters():
    at = open_gap_fc()
    vgg = next(m.value for m in at.markdown if m.value.startswith("VGG-19 flattens"))
    assert "**123,642,856** of its **143,667,240** parameters (86%)" in vgg


def test_other_input_size_gap_runs_flatten_is_explained():
    at = open_gap_fc()   # default: 48x48 into nets built for 32x32
    [ok] = [s.value for s in at.success]
    # "Runs" is all an untrained net can show; the page says accuracy is another matter.
    assert ok.startswith("Runs: a 48×48 image gives 10 class scores.") and "Running is not the same as being right" in ok
    assert len(at.warning) == 1
    warning = at.warning[0].value
    assert "flattening gives 4,608 numbers" in warning and "exactly 2,048 columns" in warning
    assert len(at.code) == 0                          # PyTorch's message waits in its closed box
    at.session_state["gap_fc_error_open"] = True     # what the browser sends when it is opened
    at.switch_page(nav.file_of("gap-fc")).run()
    assert at.code[0].value == "mat1 and mat2 shapes cannot be multiplied (1x4608 and 2048x10)"
    at.slider(key="gap_fc_test_size").set_value(32).run()
    assert len(at.success) == 2 and not at.warning   # at the size they were built for, both run


def test_korean():
    at = open_gap_fc("ko")
    assert at.title[0].value == "GAP과 FC 비교"
    assert at.success[0].value.startswith("실행됩니다: 48×48 이미지에서 클래스 점수 10개가 나옵니다.")
    assert at.warning[0].value.startswith("48×48 이미지로는 실행할 수 없습니다")
    texts = [m.value for m in at.markdown] + [m.label for m in at.metric] + [h.value for h in at.header]
    assert not [x for x in texts if RAW_KEY.match(x)]
    assert metrics(at)["GAP 사용 시"] == "48.9배 적음"
    at.slider(key="gap_fc_spatial").set_value(1).run()
    assert metrics(at)["GAP 사용 시"].startswith("같은 수")


@pytest.mark.parametrize("lang, label", [("en", "GAP vs FC: a 64×64 image into nets built for 32×32"),
                                         ("ko", "GAP과 FC 비교: 32×32용 네트워크에 64×64 이미지 넣기")])
def test_home_preset_feeds_a_64_pixel_image(lang, label):
    at = AppTest.from_file(APP, default_timeout=240)   # the page now also reads the run store
    at.query_params["lang"] = lang
    at.run()
    button = at.button(key="home_preset_gap_fc_any_size")
    assert button.label == label
    button.click().run()
    assert not at.exception
    assert at.slider(key="gap_fc_test_size").value == 64
    assert "64" in at.success[0].value


READING = {"en": "Measured: at its training size", "ko": "측정 결과: 학습한 크기"}


@pytest.mark.parametrize("lang, flat", [("en", False), ("ko", False), ("en", True), ("ko", True)])
def test_a_trained_gap_net_is_scored_at_other_sizes(tmp_path_factory, lang, flat):
    """Stored runs with checkpoints (written here, no training): the page measures each head's
    held-out accuracy at every size; the flatten net runs only at its training size, and the
    reading quotes the numbers of the table. A GAP net whose head answers the same class for
    every image (`flat`) scores alike at every size: no size is named best or worst."""
    import torch
    from apptest_helpers import open_page, own_store

    from resnet_core import build_model
    from resnet_core.inspection import analysis
    from resnet_core.store.runs import RunStore

    with own_store(tmp_path_factory, "gap_fc") as db:
        store = RunStore(db)
        ids, experiment = [], None
        from resnet_core import ModelConfig
        from resnet_core.training import experiments
        from resnet_core.store import groups
        for head in ("gap", "flatten"):   # one experiment, as the page's button queues it
            cfg = ModelConfig(depth=8, base_width=8, in_channels=1, input_size=16, head=head)
            rid = store.create_run(cfg, experiments.recipe("digits", steps=5), owner="gapfc1",
                                   label=f"ResNet-8 {head}", group=groups.GAP_FC, experiment=experiment)
            experiment = store.get_run(rid).experiment
            store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
            torch.manual_seed(0)
            model = build_model(cfg)
            if flat:
                with torch.no_grad():   # every logit 0: the same answer for every image at every size
                    model.head.fc.weight.zero_()
                    model.head.fc.bias.zero_()
            store.save_checkpoint(rid, model)
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=1, final_train_loss=2.0,
                             final_train_acc=0.1, test_acc=0.1)
            ids.append(rid)
        at = open_page("gap-fc", lang, owner="gapfc1")
        cannot, flatten = ("cannot run", "Flatten + FC") if lang == "en" else ("실행 불가", "평탄화 + FC")
        table = at.table[-1].value
        assert list(table[flatten]) == [cannot, cannot, table[flatten][2], cannot, cannot]
        assert table[flatten][2].endswith("%")
        gap = analysis.accuracy_at_sizes(store.load_model(ids[0]), "digits", [8, 12, 16, 24, 32])
        assert list(table["GAP + FC"]) == [f"{100 * gap[s]:.1f}%" for s in (8, 12, 16, 24, 32)]
        reading = next(m.value for m in at.markdown if m.value.startswith(READING[lang]))
        assert f"{100 * gap[16]:.1f}%" in reading
        others = {s: f"{100 * gap[s]:.1f}" for s in (8, 12, 24, 32)}
        assert (len(set(others.values())) == 1) == flat
        if flat:
            assert f"{others[8]}%" in reading
            assert not re.search("best|worst|가장", reading)
        else:
            high, low = max(others.values(), key=float), min(others.values(), key=float)
            best = [f"{s}×{s}" for s, v in others.items() if v == high]
            named = ", ".join(best) if lang == "ko" or len(best) == 1 else ", ".join(best[:-1]) + " and " + best[-1]
            assert f"best at {named} ({high}%)" in reading or f"{named}에서 가장 좋고({high}%)" in reading
            assert f"({low}%)" in reading


def test_a_press_served_by_nets_without_their_weights_trains_them_anew(tmp_path_factory):
    """A classmate's pair whose checkpoints the full folder dropped would serve the press (sharing) and
    show two finished rows with no accuracies, press after press: the press trains the pair anew. Their
    owner's page says that the checkpoints are gone and what a press does (en, ko)."""
    from apptest_helpers import open_page, own_store, wait_runs_ended

    from resnet_core import ModelConfig
    from resnet_core.jobs import runner as jobs
    from resnet_core.jobs import sharing
    from resnet_core.store import groups
    from resnet_core.store.runs import RunStore
    from resnet_core.training import experiments
    with own_store(tmp_path_factory, "gap_fc_dropped") as db:
        store, runner = RunStore(db), jobs.get_runner()
        experiment = None   # the pair as one press
        for head in ("gap", "flatten"):
            cfg = ModelConfig(depth=8, base_width=8, in_channels=1, input_size=16, head=head)
            tc = runner._on_device(experiments.recipe("digits", steps=300))
            label = f"ResNet-8 {'GAP' if head == 'gap' else 'flatten'}"   # as the page stores them
            rid = store.create_run(cfg, tc, owner="gapfc8", label=label, group=groups.GAP_FC, experiment=experiment)
            experiment = store.get_run(rid).experiment
            store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=300)
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=0.1,
                             final_train_acc=0.9, test_acc=0.9)   # no checkpoint: dropped
            sharing.remember(store, rid, sharing.run_key(cfg, tc))
        # Their owner's page says why no accuracies come, and what a press does then.
        for lang, said in (("en", "No checkpoint any more for ResNet-8 GAP, ResNet-8 flatten: training finished"),
                           ("ko", "ResNet-8 GAP, ResNet-8 평탄화의 체크포인트가 더 이상 없습니다")):
            captions = [c.value for c in open_page("gap-fc", lang, owner="gapfc8").caption]
            assert any(said in c for c in captions), captions
        at = open_page("gap-fc", "en", owner="gapfc9")
        assert not any("No checkpoint any more" in c.value for c in at.caption)   # not this browser's press
        at.button(key="gap_fc_train").click().run()
        mine = store.list_runs(owner="gapfc9")
        assert sorted(r.model_cfg.head for r in mine) == ["flatten", "gap"]
        for r in mine:
            runner.cancel(r.id)
        wait_runs_ended(store, [r.id for r in mine], 60)
