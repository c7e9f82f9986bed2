"""The Build & Train page under AppTest: widgets -> configs -> outline and counts; bad settings
explained; a short real training run queued, polled and compared; each browser sees its own runs
unless it asks for the class's."""

import pytest
from apptest_helpers import (RAW_KEY, assert_clean, metrics, open_page, own_store, progress_bars, svg_charts,
                             svg_series, svg_title, wait_runs_ended)
from streamlit.testing.v1 import AppTest

from resnet_core import arch_config
from resnet_core.nets.flops import count
from resnet_core.store.runs import RunStore
from ui.page import nav
from ui.training import exports


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with own_store(tmp_path_factory, "build") as db:
        yield RunStore(db)


def open_build(owner: str = "build0me", lang: str = "en") -> AppTest:
    return open_page("build", lang, owner=owner)


def test_defaults_build_resnet20_for_the_digits(store):
    at = open_build()
    # The digits are 8x8 greyscale, 10 classes: ResNet-20 with one input channel.
    expected = count(arch_config("resnet20", in_channels=1, input_size=8))
    m = metrics(at)
    assert m["Network"] == "ResNet-20" and m["Weighted layers"] == "20"
    assert m["parameters"] == f"{expected.params:,}"
    assert m["Multiply-adds per image"].endswith("MACs")
    assert not at.get("plotly_chart")                # the outline is SVG: no chart library to load
    [outline] = [m.value for m in at.markdown if m.value.startswith("<svg")]
    assert outline.count(">basic<") == 9 and "16×8×8" in outline
    assert any("No runs yet" in i.value for i in at.info)
    assert len(at.dataframe) == 0                    # the block table is filled once opened
    at.session_state["build_table_open"] = True     # what the browser sends when it is opened
    at.switch_page(nav.file_of("build")).run()
    blocks = at.dataframe[0].value                   # every block's shapes and shortcut
    assert list(blocks["shortcut"])[:2] == ["none (plain)", "identity"]
    assert "identity with zero-padded channels (option A)" in list(blocks["shortcut"])


@pytest.mark.parametrize("lang, words", [("en", ("does not spell this out", "Table 1", "first 1×1")),
                                         ("ko", ("분명히 적혀 있지 않지만", "표 1", "첫 1×1"))])
def test_the_stride_control_says_the_papers_layout_is_inferred_from_its_flops(store, lang, words):
    # "first 1x1 (paper)": the paper never states where the stride goes; its Table 1 FLOPs match.
    at = open_build(lang=lang)
    control = at.segmented_control(key="build_stride_at")
    assert all(w in control.help for w in words), control.help


def test_plain_twin_with_option_a_has_the_same_parameters_and_projections_add_some(store):
    at = open_build()
    residual = metrics(at)["parameters"]
    at.segmented_control(key="build_kind").set_value("plain").run()
    assert_clean(at)
    assert metrics(at)["Network"] == "plain-20" and metrics(at)["parameters"] == residual
    at.segmented_control(key="build_kind").set_value("residual").run()
    at.selectbox(key="build_shortcut").set_value("C").run()
    assert int(metrics(at)["parameters"].replace(",", "")) > int(residual.replace(",", ""))


def test_other_families(store):
    at = open_build()
    at.selectbox(key="build_family").set_value("imagenet").run()
    assert_clean(at)
    at.selectbox(key="build_depth_imagenet").set_value(50).run()
    assert "18 and 34 use basic blocks" in at.warning[0].value      # a bad pairing, explained
    at.selectbox(key="build_block").set_value("bottleneck").run()
    assert_clean(at)
    assert metrics(at)["Network"] == "ResNet-50"
    # The only warning left is the cost: 20,000 steps of ResNet-50 are far above one run's cap on a CPU.
    at.number_input(key="build_steps").set_value(20_000).run()
    assert [w.icon for w in at.warning] == [":material/timer_off:"] and "Reduce the steps" in at.warning[0].value
    at.selectbox(key="build_family").set_value("custom").run()
    at.text_input(key="build_stages").input("3, 3").run()
    assert metrics(at)["Weighted layers"] == str(2 + 3 * 2 * 3)
    at.text_input(key="build_stages").input("2, x").run()
    assert_clean(at)
    assert "whole numbers separated by commas" in at.warning[0].value
    at.selectbox(key="build_family").set_value("vgg").run()
    assert_clean(at)
    assert metrics(at)["Network"] == "VGG-19"


def test_bad_depth_is_explained_and_nothing_can_start(store):
    at = open_build()
    at.number_input(key="build_depth").set_value(21).run()
    assert_clean(at)
    assert "6n+2" in at.warning[0].value
    assert not [b for b in at.button if b.key == "build_start"]


def test_cuda_without_a_gpu_is_explained(store):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    at = open_build()
    at.segmented_control(key="build_device").set_value("cuda").run()
    assert_clean(at)
    assert any("no CUDA GPU" in w.value for w in at.warning)
    assert at.button(key="build_start").disabled


def _wait_finished(at: AppTest, store: RunStore, run_id: int, timeout: float = 180) -> None:
    wait_runs_ended(store, [run_id], timeout, "the run did not finish in time")
    at.run()
    assert_clean(at)


def test_a_short_run_trains_live_and_is_compared_and_exported(store):
    at = open_build(owner="build1run")
    at.number_input(key="build_steps").set_value(20).run()
    at.button(key="build_start").click().run()
    assert_clean(at)
    assert not at.warning, [w.value for w in at.warning]
    (info,) = store.list_runs(owner="build1run")
    assert info.label == "ResNet-20" and info.group == "build" and info.train_cfg.steps == 20
    assert at.multiselect(key="build_overlay").value == [info.id]
    _wait_finished(at, store, info.id)
    assert progress_bars(at) == [("ResNet-20", "finished", 100.0)]
    table = at.dataframe[-1].value
    assert list(table["status"]) == ["finished"] and list(table["steps"]) == ["20/20"]
    assert list(table["device"]) == ["cpu · fp32"]      # where it trained and what it computed in
    loss, acc = at.get("plotly_chart")[0:2]
    import json
    assert json.loads(loss.proto.spec)["layout"]["yaxis"]["type"] == "log"
    assert len(json.loads(loss.proto.spec)["data"][0]["x"]) == 20
    assert json.loads(acc.proto.spec)["layout"]["yaxis"]["title"]["text"] == "accuracy (%)"
    # The table's "final" loss is the mean of the last 10% of steps (2 of 20), not the curve's last
    # point, and the caption under the table says so.
    from apptest_helpers import array
    losses = array(json.loads(loss.proto.spec)["data"][0]["y"])
    assert list(table["final training loss"]) == [f"{losses[-2:].mean():.3f}"]
    assert any("averaged over the last 10% of steps" in c.value for c in at.caption)
    csv = exports.metrics_csv(info.id).splitlines()
    assert csv[0] == "step,train_loss,train_acc,lr,seconds,test_loss,test_acc" and len(csv) == 21
    assert csv[-1].split(",")[-1] != ""              # the final held-out evaluation
    # The net as configured and the finished run each have a zip to take home (made on click).
    zips = [b for b in at.get("download_button") if b.proto.label == "Download as PyTorch (zip)"]
    assert [b.proto.id.split("-")[-1] for b in zips] == ["build_export_net", "build_export_zip"]


def test_while_a_run_trains_its_curves_are_svg_with_the_held_out_points(store):
    from types import SimpleNamespace

    from resnet_core import TrainConfig

    cfg = arch_config("resnet20", base_width=8, input_size=8, in_channels=1)
    rid = store.create_run(cfg, TrainConfig(dataset="digits", steps=300), owner="build9svg", label="ResNet-20",
                           group="build")
    store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=300)
    store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=2.0 / s, acc=s / 100, lr=0.1, seconds=0.1 * s,
                                                  grad_norms=[1.0, 0.5]) for s in range(1, 61)],
                      evals=[(25, 0.5, 0.4), (50, 0.3, 0.625)])
    at = open_build(owner="build9svg")
    assert_clean(at)
    assert not at.get("plotly_chart")
    loss, acc = svg_charts(at)[-2:]      # after the outline's diagram
    assert svg_title(loss).startswith("training loss") and svg_title(acc) == "accuracy (%)"
    # The held-out accuracy's two points, each with its step and value in the tooltip.
    held = svg_series(acc)[f"#{rid} ResNet-20 · held out"]
    assert [tip.split("\n")[1] for _, _, tip in held] == ["25: 40.0", "50: 62.5"]
    assert held[0][0] < held[1][0] and held[0][1] > held[1][1]     # later and higher
    store.finish_run(rid, status="finished", seconds=6.0, steps_done=60, final_train_loss=0.03, final_train_acc=0.6,
                     test_acc=0.625)
    at.run()
    assert len(at.get("plotly_chart")) == 2 and len(svg_charts(at)) == 1     # the outline's diagram stays


def test_runs_survive_a_reload_and_two_browsers_see_their_own(store):
    # The run trained above belongs to build1run: a new session with that id in its URL (a
    # reload) finds it; another browser does not, until it asks for the class's runs.
    again = open_build(owner="build1run")
    assert again.multiselect(key="build_overlay").value
    other = open_build(owner="build2else")
    assert any("No runs yet" in i.value for i in other.info)
    other.toggle(key="build_show_class").set_value(True).run()
    assert_clean(other)
    assert other.multiselect(key="build_overlay").value


def test_a_display_name_goes_into_the_url_and_beside_the_run_label(store):
    at = open_build(owner="build3name")
    at.sidebar.text_input(key="build_display_name").input("Minji").run()
    assert_clean(at)
    assert at.query_params["n"] == "Minji"
    at.number_input(key="build_steps").set_value(5).run()
    at.button(key="build_start").click().run()
    (info,) = store.list_runs(owner="build3name")
    assert (info.label, info.display_name) == ("ResNet-20", "Minji")
    _wait_finished(at, store, info.id)
    # The class's list names whose run it is: the name given, or "student N"; never the id.
    other = open_build(owner="build4look")
    other.toggle(key="build_show_class").set_value(True).run()
    labels = other.multiselect(key="build_overlay").options
    assert f"#{info.id} ResNet-20 · Minji" in labels
    assert any(" · student " in label for label in labels)
    assert not any("build3name" in label or "build1run" in label for label in labels)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_class_list_offers_trained_nets_not_analysis_tasks(store, lang):
    # A prediction stored by a Korean student is a task, not a net: an English page must not offer
    # "#N 측정" with a placeholder ResNet-20's kind and parameters.
    from resnet_core import ModelConfig, TrainConfig

    net = store.create_run(arch_config("resnet20", in_channels=1, input_size=8), TrainConfig(steps=5),
                           owner="build5net", label="ResNet-20", group="build")
    task = store.create_task("predict", {"question": "macs", "setup": {}}, ModelConfig(), TrainConfig(),
                             owner="build5task", label="측정" if lang == "en" else "Measurement", group="predict")
    at = open_build(owner=f"build5{lang}", lang=lang)
    at.toggle(key="build_show_class").set_value(True).run()
    assert_clean(at)
    options = at.multiselect(key="build_overlay").options
    assert any(o.startswith(f"#{net} ") for o in options)
    assert not any(o.startswith(f"#{task} ") for o in options)
    assert not any("측정" in o or "Measurement" in o for o in options)


@pytest.mark.parametrize("lang, words, ended", [
    ("en", ("Run #", "has no weights to take home yet (waiting in the queue)"),
     "left no weights to take home: only a finished run leaves them, and this one ended as “diverged (the loss blew up)”"),
    ("ko", ("학습 기록 #", "에는 아직 가져갈 가중치가 없습니다 (대기열에서 기다리는 중)"),
     "이 기록은 '발산함 (손실이 폭주함)' 상태로 끝났습니다")])
def test_a_run_without_weights_says_so_instead_of_a_zip(store, lang, words, ended):
    from resnet_core import TrainConfig

    owner = f"build4{lang}"
    rid = store.create_run(arch_config("resnet20", in_channels=1, input_size=8), TrainConfig(steps=5), owner=owner,
                           label="ResNet-20", group="build")
    at = open_build(owner=owner, lang=lang)
    assert_clean(at)
    assert [b.proto.id.split("-")[-1] for b in at.get("download_button")] == ["build_export_net", "build_export_csv"]
    captions = " ".join(c.value for c in at.caption)
    assert all(w in captions for w in words), captions
    assert f"#{rid}" in captions
    store.set_status(rid, "diverged")   # ended without weights: no "yet", no brackets inside brackets
    at = open_build(owner=owner, lang=lang)
    captions = " ".join(c.value for c in at.caption)
    assert ended in captions and "))" not in captions, captions


def test_korean_page_has_no_missing_text(store):
    at = open_build(lang="ko")
    assert at.title[0].value == "만들고 학습하기"
    texts = [m.value for m in at.markdown] + [m.label for m in at.metric] + [i.value for i in at.info]
    texts += [w.label for w in at.selectbox] + [w.label for w in at.number_input]
    assert not [x for x in texts if RAW_KEY.match(x)]
    assert metrics(at)["네트워크"] == "ResNet-20"
    assert [b.proto.label for b in at.get("download_button")] == ["PyTorch로 내려받기 (zip)"]
    # The plain net is named in Korean as on every other page: 플레인-20, never plain-20.
    at.segmented_control(key="build_kind").set_value("plain").run()
    assert metrics(at)["네트워크"] == "플레인-20"
    # The outline's own tooltip names the net as the page does, not by its code name "plain20".
    [outline] = [m.value for m in at.markdown if m.value.startswith("<svg")]
    assert "<title>플레인-20</title>" in outline and "plain20" not in outline


def test_a_zip_button_for_a_run_that_is_gone_says_so_in_both_languages(store, monkeypatch):
    from ui.page import i18n

    class Column:   # where the button would go: here only a caption can be drawn
        def __init__(self):
            self.captions = []

        def caption(self, text):
            self.captions.append(text)

    monkeypatch.setattr(exports, "store", lambda: store)
    for lang, words in (("en", "Run #99999 is no longer among this class's runs: a new class was started, and "
                               "the old runs were moved to an archive on the server. Reload the page to see the "
                               "current runs."),
                        ("ko", "학습 기록 #99999는 이번 수업의 학습 기록에 더 이상 없습니다. 새 수업이 시작되어 이전 "
                               "학습 기록은 서버의 보관 파일로 옮겨졌습니다. 페이지를 새로 고치면 지금의 학습 기록을 볼 수 "
                               "있습니다.")):
        monkeypatch.setattr(i18n, "lang", lambda lang=lang: lang)
        where = Column()
        exports.run_zip_button(where, 99999, key="x")
        assert where.captions[-1] == words


@pytest.mark.parametrize("lang, words", [("en", ["This run needs about", "one run may use 0.005 GB", "reduce batch"]),
                                         ("ko", ["GB 필요합니다", "쓸 수 있는 메모리는 0.005 GB", "줄여 보세요"])])
def test_a_run_too_big_for_the_servers_memory_is_refused_with_its_numbers(store, monkeypatch, lang, words):
    """The room one run gets is injected (5 MB): the default net (about 10 MB) is flagged before
    the click and refused at it, with its numbers and what to reduce, and nothing is queued."""
    monkeypatch.setenv("RESNET_EXPLORER_RUN_MEMORY_GB", "0.005")
    owner = f"build{lang}mem"
    at = open_build(owner=owner, lang=lang)

    def refusals() -> list[str]:
        return [w.value for w in at.warning if "0.005 GB" in w.value]

    before = refusals()
    assert len(before) == 1 and all(word in before[0] for word in words), before
    assert ("배치" in before[0]) == (lang == "ko") and "Traceback" not in before[0]
    at.button(key="build_start").click().run()
    assert_clean(at)
    assert set(refusals()) == set(before)                          # the runner's own check, same words
    assert store.list_runs(owner=owner) == []
    monkeypatch.setenv("RESNET_EXPLORER_RUN_MEMORY_GB", "0.05")   # 50 MB: it fits, and nothing is said
    at.run()
    assert not refusals() and not [w for w in at.warning if "GB" in w.value]


@pytest.mark.parametrize("lang, words", [("en", "images used: 1, which leaves no training images; use at least 2"),
                                         ("ko", "사용할 이미지 수 1로는 학습 이미지가 남지 않습니다. 2 이상을 쓰세요")])
def test_one_image_is_refused_at_the_click_and_nothing_is_queued(store, monkeypatch, lang, words):
    """"Images used" = 1 leaves no image to train on after the held-out one: said at the click, as
    every other bad setting is, not as a run that fails at step 0 after its turn in the queue."""
    owner = f"build{lang}one"
    at = open_build(owner=owner, lang=lang)
    from ui.page import i18n
    monkeypatch.setattr(i18n, "lang", lambda: lang)   # the widgets' options in the page's language
    at.number_input(key="build_max_samples").set_value(1).run()
    at.button(key="build_start").click().run()
    assert_clean(at)
    assert any(words in w.value for w in at.warning), [w.value for w in at.warning]
    assert store.list_runs(owner=owner) == []
