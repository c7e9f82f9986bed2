"""The Degradation page under AppTest: one button queues the four nets of Figure 6, the final
table sits beside the paper's numbers, and the ordering is read from the measured losses.
Finished experiments are written straight into a temporary run store, so no test waits for
training here (tests/browser/test_live_pages.py trains the real thing)."""

import json
from types import SimpleNamespace

import pytest
from test_jobs import wait_for
from apptest_helpers import (APP, RAW_KEY, open_page, own_store, progress_bars, svg_charts, svg_title,
                              wait_runs_ended)
from streamlit.testing.v1 import AppTest

from resnet_core import build_model
from resnet_core.jobs import runner as jobs
from resnet_core.store.runs import RunStore
from resnet_core.store import groups
from resnet_core.training import experiments

ME, CLASSMATE = "deg0test", "deg1mate"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A run store of our own, and a runner on it that the pages will pick up."""
    with own_store(tmp_path_factory, "degradation") as db:
        yield RunStore(db)


def finished_experiment(store: RunStore, owner: str, losses: dict[str, float], display_name: str = "",
                        steps: int = 20, dataset: str = "digits", width: int = 8) -> list[int]:
    """The four degradation runs, one experiment, finished with the given final training losses
    (recorded as `steps` long; 20 steps of curve are written whatever it says)."""
    ids, experiment = [], None
    for label, model_cfg, train_cfg in experiments.degradation_configs(dataset, steps=steps, width=width):
        rid = store.create_run(model_cfg, train_cfg, owner=owner, label=label, group=groups.DEGRADATION,
                               experiment=experiment, display_name=display_name)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=20)
        loss = losses[label]
        acc = max(0.0, min(1.0, 1 - loss / 2.5))
        steps = [SimpleNamespace(step=s, loss=2.3 - (2.3 - loss) * s / 20, acc=acc * s / 20, lr=0.1,
                                 seconds=0.1 * s, grad_norms=[1.0, 0.5]) for s in range(1, 21)]
        store.write_batch(rid, steps=steps, evals=[(20, loss, acc)])
        store.finish_run(rid, status="finished", seconds=2.0, steps_done=20, final_train_loss=loss,
                         final_train_acc=acc, test_acc=acc)
        ids.append(rid)
    return ids


DIGITS = "Handwritten digits (built in, 8×8)"   # how the picker names the dataset
PAPER_LIKE = {"plain-20": 0.05, "plain-56": 1.56, "ResNet-20": 0.004, "ResNet-56": 0.014}


def open_degradation(owner: str = ME, lang: str = "en") -> AppTest:
    return open_page("degradation", lang, owner=owner, timeout=90)


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def checks(at: AppTest) -> list[str]:
    """The three ordering checks in page order: passed ones are success boxes, the others
    warnings (a finding, never a red error)."""
    return [("✅ " if e.type == "success" else "❌ ") + e.value for e in _walk(at.main)
            if e.type in ("success", "warning") and e.value.startswith(("**", "plain-56", "ResNet-56"))]


def test_empty_page_explains_and_links_to_gradient_flow(store):
    at = open_degradation(owner="deg9none")
    assert at.title[0].value == "Degradation"
    assert any("No experiment started from this browser yet" in i.value for i in at.info)
    assert any("unlikely to be vanishing gradients" in m.value for m in at.markdown)   # section 4.1
    assert [link.label for link in at.get("page_link")][-1].startswith("See the gradients")
    assert at.query_params["u"] == "deg9none"


def test_final_table_sits_beside_the_paper_and_checks_the_ordering(store):
    ids = finished_experiment(store, ME, PAPER_LIKE)
    store.save_checkpoint(ids[0], build_model(store.get_run(ids[0]).model_cfg))
    at = open_degradation()
    table = at.table[0].value
    assert list(table["network"]) == ["plain-20", "plain-56", "ResNet-20", "ResNet-56"]
    assert list(table["paper (CIFAR-10)"])[2:] == ["8.75% test error (Table 6)", "6.97% test error (Table 6)"]
    assert list(table["final training loss"]) == ["0.050", "1.560", "0.004", "0.014"]
    # Option A: plain and residual twins have identical parameter counts (section 4.2).
    params = list(table["parameters"])
    assert params[0] == params[2] and params[1] == params[3]
    found = checks(at)
    assert len(found) == 3 and all(c.startswith("✅") for c in found), found
    assert "plain-56 ends with a much higher training loss than plain-20 (1.560 vs 0.050)" in found[0]
    assert len(at.get("plotly_chart")) == 2   # training loss and training error, both live
    # Each net can be taken home; the first (plain-20) is picked, and its weights are stored.
    assert at.selectbox(key="degradation_export_run").value == ids[0]
    [zip_button] = [b for b in at.get("download_button") if b.proto.id.endswith("degradation_export_zip")]
    assert zip_button.proto.label == "Download as PyTorch (zip)"


def test_an_ordering_that_did_not_appear_is_reported_as_such(store):
    finished_experiment(store, "deg2flat", {"plain-20": 0.05, "plain-56": 0.06, "ResNet-20": 0.004, "ResNet-56": 0.01})
    found = checks(open_degradation(owner="deg2flat"))
    assert found[0].startswith("❌") and "did not end clearly worse" in found[0]
    assert found[1].startswith("✅") and found[2].startswith("✅")


def checks_for(store: RunStore, owner: str, lang: str, losses: dict[str, float]) -> list[str]:
    """The Degradation checks as `owner` reads them in `lang`, once an experiment with `losses` has finished."""
    finished_experiment(store, owner, losses)
    return checks(open_degradation(owner=owner, lang=lang))


@pytest.mark.parametrize("lang, behind, twice", [
    ("en", "ResNet-56 ended behind", "plain-56 ends with a much higher training loss than plain-20 (0.200 vs 0.100)"),
    ("ko", "ResNet-56이 ResNet-20보다 뒤처졌습니다", "플레인-56의 최종 학습 손실이 플레인-20보다 훨씬 높습니다 (0.200 대 0.100)"),
])
def test_the_checks_read_the_losses_as_the_page_shows_them(store, lang, behind, twice):
    # 0.1504 shows as 0.150, exactly 0.05 above ResNet-20's 0.100: allowed; 0.20004 against 0.10004
    # shows as 0.200 vs 0.100: exactly twice, so it passes "at least twice".
    found = checks_for(store, f"deg3shown{lang}", lang,
                       {"plain-20": 0.10004, "plain-56": 0.20004, "ResNet-20": 0.1, "ResNet-56": 0.1504})
    assert found[0].startswith("✅") and twice in found[0]
    assert found[1].startswith("✅") and "0.150" in found[1] and "0.100" in found[1] and behind not in found[1]


@pytest.mark.parametrize("lang, margin, alike", [
    ("en", "below ResNet-20's or at most 0.05 above it, the margin this check allows (0.065 vs 0.020)", "about as well"),
    ("ko", "ResNet-20보다 낮거나, 높더라도 이 검사가 허용하는 0.05 이내입니다 (0.065 대 0.020)", "비슷하게"),
])
def test_the_deeper_resnet_check_states_its_margin_not_a_tie(store, lang, margin, alike):
    # ResNet-56 at three times ResNet-20's loss passes the 0.05 margin: the sentence says what
    # the check allows, never that the two fit about as well.
    found = checks_for(store, f"deg3margin{lang}", lang, {"plain-20": 0.1, "plain-56": 0.5, "ResNet-20": 0.02, "ResNet-56": 0.065})
    assert found[1].startswith("✅") and margin in found[1] and alike not in found[1], found[1]


def test_each_student_sees_their_own_experiment_unless_they_ask_for_the_class(store):
    finished_experiment(store, CLASSMATE, PAPER_LIKE)
    at = open_degradation(owner="deg3solo")
    assert any("No experiment started from this browser yet" in i.value for i in at.info)
    at.toggle(key="degradation_show_class").set_value(True).run()
    assert not at.exception
    options = at.selectbox(key="degradation_pick").options
    # The class sees who ran what as "student N", never an owner id (anyone could take it).
    assert not any(CLASSMATE in o or ME in o for o in options)
    assert any("student" in o for o in options)


def test_experiments_are_told_apart_by_their_id_not_by_their_run_numbers(store):
    """Two experiments of one student with consecutive ids, and a classmate's that gave a name:
    three entries, the newest first, each named by who ran it."""
    first = finished_experiment(store, "deg6twice", PAPER_LIKE)
    second = finished_experiment(store, "deg6twice", {"plain-20": 0.05, "plain-56": 0.06, "ResNet-20": 0.004,
                                                      "ResNet-56": 0.01})
    assert second[0] == first[-1] + 1
    at = open_degradation(owner="deg6twice")
    options = at.selectbox(key="degradation_pick").options
    assert options[:2] == [f"runs #{second[0]}–{second[-1]} · you · {DIGITS} · 20 steps",
                           f"runs #{first[0]}–{first[-1]} · you · {DIGITS} · 20 steps"]
    assert checks(at)[0].startswith("❌")   # the newest is shown: its plain-56 did not end worse
    named = finished_experiment(store, "deg7name", PAPER_LIKE, display_name="Minji")
    at.toggle(key="degradation_show_class").set_value(True).run()
    options = at.selectbox(key="degradation_pick").options
    assert options[0] == f"runs #{named[0]}–{named[-1]} · Minji · {DIGITS} · 20 steps"
    assert all(store.get_run(i).label in PAPER_LIKE for i in named)   # the name is not in the labels


def test_an_experiment_run_from_the_command_line_shows_on_the_page(store, capsys):
    """`python -m resnet_core experiment degradation --db <the app's store>`: without an owner it
    is in the class view, named "command line"; with --owner it is that user's own."""
    from resnet_core.__main__ import main

    db = str(store.path)
    argv = ["experiment", "degradation", "--steps", "3", "--width", "4", "--device", "cpu", "--db", db, "--json"]
    assert main(argv + ["--owner", "deg8cli", "--name", "Ms Kim"]) == 0
    out = json.loads(capsys.readouterr().out)
    ids = [r["run_id"] for r in out["runs"]]
    assert out["group"] == "degradation" and out["experiment_id"] == f"x{ids[0]}"
    assert [r["name"] for r in out["runs"]] == list(PAPER_LIKE)
    at = open_degradation(owner="deg8cli")
    assert sorted(b[0] for b in progress_bars(at)) == sorted(PAPER_LIKE)
    assert len(at.table) == 1 and list(at.table[0].value["network"]) == list(PAPER_LIKE)
    # The progress rows name the nets as the Korean charts do, not by the stored English label.
    bars = progress_bars(open_degradation(owner="deg8cli", lang="ko"))
    assert sorted(b[0] for b in bars) == ["ResNet-20", "ResNet-56", "플레인-20", "플레인-56"]
    at = open_degradation(owner="deg8else")
    at.toggle(key="degradation_show_class").set_value(True).run()
    assert at.selectbox(key="degradation_pick").options[0] == (
        f"runs #{ids[0]}–{ids[-1]} · Ms Kim · {DIGITS} · 3 steps · width 4")   # not the page's width 8
    ownerless = finished_experiment(store, "", PAPER_LIKE)   # as the CLI records without --owner
    at.run()
    assert at.selectbox(key="degradation_pick").options[0] == (
        f"runs #{ownerless[0]}–{ownerless[-1]} · command line · {DIGITS} · 20 steps")


@pytest.mark.parametrize("lang, name", [("en", "MNIST"), ("ko", "MNIST")])
def test_an_experiment_on_a_dataset_the_page_does_not_offer_is_named_not_coded(store, lang, name):
    """The command line can run the experiment on MNIST, which this page's picker does not offer:
    the experiment's label names the dataset as Build & Train does, never a catalog key."""
    owner = f"deg9mn{lang}"
    ids = finished_experiment(store, owner, PAPER_LIKE, dataset="mnist")
    at = open_degradation(owner=owner, lang=lang)
    label = at.selectbox(key="degradation_pick").options[0]
    assert f"#{ids[0]}" in label and f" · {name} · " in label and "degradation.datasets" not in label, label
    assert not at.exception and not [c.value for c in at.caption if RAW_KEY.match(c.value)]


def test_train_all_four_queues_the_experiment_and_shows_progress(store):
    at = open_degradation(owner="deg4live")
    at.button(key="degradation_start").click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    mine = store.list_runs(owner="deg4live")
    assert sorted(r.label for r in mine) == ["ResNet-20", "ResNet-56", "plain-20", "plain-56"]
    assert {r.train_cfg.steps for r in mine} == {300} and {r.group for r in mine} == {"degradation"}
    assert {r.experiment for r in mine} == {f"x{min(r.id for r in mine)}"}
    bars = progress_bars(at)
    assert sorted(b[0] for b in bars) == sorted(r.label for r in mine)
    assert any("waiting in the queue" in status for _, status, _ in bars)
    # A Stop button for each of this student's runs, named as the charts name the net.
    for r in mine:
        assert at.button(key=f"degradation_stop_{r.id}").proto.label == f"Stop · {r.label}"
    for r in mine:
        jobs.get_runner().cancel(r.id)
    wait_runs_ended(store, [r.id for r in mine], 60, "cancelled runs did not stop")
    at.run()
    assert any("Not all four runs finished" in w.value for w in at.warning)


def test_a_stop_button_left_from_before_its_run_ended_says_so(store):
    """One run of four ends while the others go on: the page keeps its Stop button until then
    (no full rerun per watching tab), and a click on it says the run has ended and clears it."""
    at = open_degradation(owner="deg5stale")
    at.button(key="degradation_start").click().run()
    mine = sorted(store.list_runs(owner="deg5stale"), key=lambda r: r.id)
    first, rest = mine[0], mine[1:]
    assert jobs.get_runner().cancel(first.id, owner="deg5stale")
    wait_runs_ended(store, [first.id], 60, "the cancelled run did not stop")
    at.button(key=f"degradation_stop_{first.id}").click().run()
    assert not at.exception
    assert [x.value for x in at.toast] == [f"{first.label} has already ended."]
    keys = {b.key for b in at.button}
    assert f"degradation_stop_{first.id}" not in keys
    assert {f"degradation_stop_{r.id}" for r in rest} <= keys
    # A Stop pressed on a live run: that button goes with the same click, whatever the run does next.
    # The page is drawn again once the next run trains (one worker here): a click just as the
    # experiment moves from queued to training would meet the live part's full rerun, whose
    # page has no toast of that click.
    wait_for(lambda: store.get_run(rest[0].id).status == "running", 60)
    at.run()
    at.button(key=f"degradation_stop_{rest[0].id}").click().run()
    assert [x.value for x in at.toast][-1] == f"{rest[0].label}: stopping…"
    keys = {b.key for b in at.button}
    assert f"degradation_stop_{rest[0].id}" not in keys and f"degradation_stop_{rest[1].id}" in keys
    for r in rest:
        jobs.get_runner().cancel(r.id)
    wait_runs_ended(store, [r.id for r in rest], 60, "cancelled runs did not stop")


def test_the_pages_own_run_never_asks_for_a_second_one(store, monkeypatch):
    """The live part asks for a full rerun only on its own ticks: drawn inside the page's run, which
    has just read the phase, it draws once. A second run there dropped the toast of the click that
    caused the first (a Stop pressed as a queued net began to train), and on a loaded server the
    phase read twice could differ. Here the live part would always ask: the page still draws once,
    with its toast."""
    from ui.training import progress

    monkeypatch.setattr(progress, "redraw_page", lambda *args: True)
    at = open_degradation(owner="deg5once")
    at.button(key="degradation_start").click().run()
    assert not at.exception
    mine = sorted(store.list_runs(owner="deg5once"), key=lambda r: r.id)
    try:
        assert jobs.get_runner().cancel(mine[0].id, owner="deg5once")
        wait_runs_ended(store, [mine[0].id], 60, "the cancelled run did not stop")
        at.button(key=f"degradation_stop_{mine[0].id}").click().run()
        assert not at.exception
        assert [x.value for x in at.toast] == [f"{mine[0].label} has already ended."]
    finally:
        for r in mine:
            jobs.get_runner().cancel(r.id)
        wait_runs_ended(store, [r.id for r in mine], 60, "cancelled runs did not stop")


@pytest.mark.parametrize("phase, now, stoppable, still, redraw", [
    ("running", "running", {1, 2}, {1, 2}, False),
    ("running", "running", {1, 2}, {2}, False),      # one of two ended: its button waits
    ("running", "running", {1, 2}, set(), True),     # none of this user's left (others' runs go on)
    ("running", "running", set(), set(), False),     # a viewer who owns none of them
    ("queued", "running", set(), set(), True),       # the first run started
    ("running", None, {1}, set(), True),             # the last run ended
])
def test_a_live_part_redraws_the_page_only_when_it_must(phase, now, stoppable, still, redraw):
    from ui.training.progress import redraw_page

    assert redraw_page(phase, now, stoppable, still) is redraw


def test_while_the_nets_train_the_curves_are_svg_then_plotly_once_they_end(store):
    """A watching browser redraws the live charts every second: SVG while any run trains (each
    net's line through its recorded steps), plotly's interactive figures once all have ended."""
    ids, experiment, losses = [], None, {}
    for n, (label, model_cfg, train_cfg) in enumerate(experiments.degradation_configs("digits", steps=300)):
        rid = store.create_run(model_cfg, train_cfg, owner="deg6svg", label=label, group=groups.DEGRADATION,
                               experiment=experiment)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=300)
        done = 40 + 10 * n      # each net as far as its own worker got
        losses[label] = [2.3 * 0.97 ** s for s in range(1, done + 1)]
        store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=losses[label][s - 1], acc=min(1.0, s / 60), lr=0.1,
                                                      seconds=0.1 * s, grad_norms=[1.0, 0.5]) for s in range(1, done + 1)])
        ids.append(rid)
    at = open_degradation(owner="deg6svg")
    assert not at.exception and not at.get("plotly_chart")
    charts_ = svg_charts(at)
    assert [svg_title(c) for c in charts_] == ["training loss (cross-entropy, log scale)", "training error (%)"]
    legend = ["".join(el.itertext()) for el in charts_[0].iter(f"{SVG}text")]
    assert all(net in legend for net in ("plain-20", "plain-56", "ResNet-20", "ResNet-56"))
    for chart in charts_:
        lines = [el for el in chart.iter(f"{SVG}path") if el.get("stroke-width") in ("2.2", "3.5")
                 and len(el.get("d").split()) > 30]
        # One line per net, through every step it has recorded so far (60 at most here: no decimation).
        assert sorted(len(el.get("d").split()) // 3 for el in lines) == [40, 50, 60, 70]
    # The loss line of the furthest net falls as its losses do (pixel y grows downwards).
    lines = [el for el in charts_[0].iter(f"{SVG}path") if len(el.get("d").split()) // 3 == 70]
    ys = [float(v) for v in lines[0].get("d").split()[2::3]]
    assert ys == sorted(ys) and ys[0] < ys[-1]
    for rid in ids:
        store.finish_run(rid, status="finished", seconds=2.0, steps_done=70, final_train_loss=0.1,
                         final_train_acc=0.9, test_acc=0.9)
    at.run()
    assert len(at.get("plotly_chart")) == 2 and not svg_charts(at)


def test_home_preset_opens_the_page_configured(store):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = "en"
    at.run()
    at.button(key="home_preset_degradation_20_56").click().run()
    assert not at.exception
    assert at.title[0].value == "Degradation"
    assert at.selectbox(key="degradation_dataset").value == "digits"
    assert at.select_slider(key="degradation_steps").value == 300


def test_korean_page_has_no_missing_text(store):
    at = open_degradation(lang="ko")
    assert at.title[0].value == "성능 저하 문제"
    texts = [m.value for m in at.markdown] + [b.label for b in at.button] + [i.value for i in at.info]
    assert not [x for x in texts if RAW_KEY.match(x)]
    assert any(c.startswith("✅ **성능 저하:**") for c in checks(at))
    assert not at.warning


@pytest.mark.parametrize("lang, against, table_col", [
    ("en", "**Against the paper:** after 300 steps at width 8 (channels in the first stage), plain-56 ends at 62.4% "
           "training error and plain-20 at 2.0%: 60.4 points apart", "plain-56 − plain-20 (training error, points)"),
    ("ko", "**논문과 비교:** 너비 8(첫 스테이지의 채널 수), 300단계로 학습한 뒤의 학습 오류율은 플레인-56 62.4%, "
           "플레인-20 2.0%, 차이 60.4%p",
     "플레인-56 − 플레인-20 (학습 오류율, %p)"),
])
def test_the_gap_stands_beside_figure_6_with_the_gaps_measured_at_other_lengths(store, lang, against, table_col,
                                                                                 monkeypatch):
    from resnet_core.jobs.runner import JobRunner
    owner = f"deg7{lang}"
    # Errors are 1 - (1 - loss / 2.5): 0.05 -> 2.0%, 1.56 -> 62.4%, 0.3 -> 12.0%.
    finished_experiment(store, owner, {**PAPER_LIKE, "plain-56": 0.3}, steps=1200)
    finished_experiment(store, owner, PAPER_LIKE, steps=300)
    at = open_page("degradation", lang, owner=owner, timeout=90)
    text = next(m.value for m in at.markdown if m.value.startswith(against.split(":**")[0]))
    assert text.startswith(against), text
    assert ("Figure 6" if lang == "en" else "그림 6") in text
    gaps = next(tb for tb in _tables(at) if table_col in tb.columns)
    assert list(gaps[table_col]) == ["60.4", "10.0"]   # 300 steps, then 1200: measured here, narrower
    narrow = "narrower than the paper's (8 channels" if lang == "en" else "첫 스테이지의 채널 수 8, 논문은 16"
    assert any(narrow in m.value for m in at.markdown)
    # The note names the table it means (gaps by length and width), not "the table above".
    table_named = "the table of gaps by run length and width" if lang == "en" else "학습 길이와 너비별 차이 표"
    assert any(narrow in m.value and table_named in m.value for m in at.markdown)
    if lang == "ko":
        return   # AppTest formats options outside the page, in English: the click is tested in English

    def queue_only(self, runs, *, owner="", group="", display_name="", **kwargs):
        return [self.store.create_run(m, tc, owner=owner, label=label, group=group) for label, m, tc in runs]

    monkeypatch.setattr(JobRunner, "submit_many", queue_only)
    at.button(key="degradation_longer").click().run()
    queued = [r for r in store.list_runs(owner=owner) if r.status == "queued"]
    try:
        assert sorted(r.label for r in queued) == ["ResNet-20", "ResNet-56", "plain-20", "plain-56"]
        assert {r.train_cfg.steps for r in queued} == {experiments.DEGRADATION_LONG_STEPS}
        assert {r.model_cfg.base_width for r in queued} == {experiments.DEGRADATION_LONG_WIDTH}
    finally:
        for r in queued:
            store.set_status(r.id, "cancelled")


@pytest.mark.parametrize("lang, longer, same", [
    ("en", "Longer run at the paper's width: 1200 steps, width 16", "Run at the paper's width: 1200 steps, width 16"),
    ("ko", "논문의 너비로 더 길게 학습: 1200단계, 너비 16", "논문의 너비로 학습: 1200단계, 너비 16"),
])
@pytest.mark.parametrize("steps", [300, 1200])
def test_the_run_at_the_papers_width_is_called_longer_only_when_it_is(store, lang, longer, same, steps):
    # An experiment of 1,200 steps at width 8 (the slider's longest) is as long as the run the
    # button queues: that one is only wider, and neither the button nor the note calls it longer.
    owner = f"deg9{lang}{steps}"
    finished_experiment(store, owner, PAPER_LIKE, steps=steps)
    at = open_page("degradation", lang, owner=owner, timeout=90)
    label = at.button(key="degradation_longer").label
    assert label == (longer if steps < experiments.DEGRADATION_LONG_STEPS else same), label
    narrow = next(m.value for m in at.markdown if ("narrower than the paper's" if lang == "en" else "논문은 16") in m.value)
    assert ("longer" not in narrow) if lang == "en" else ("더 긴" not in narrow), narrow


@pytest.mark.parametrize("lang, plain, wide", [
    ("en", " · 1200 steps", " · 1200 steps · width 16"),
    ("ko", " · 1200단계", " · 1200단계 · 너비 16"),
])
def test_the_run_at_the_papers_width_is_told_apart_from_one_at_the_pages_width(store, lang, plain, wide):
    # The button below the result queues 1,200 steps at width 16: in the picker it must not read
    # exactly like an experiment of 1,200 steps at the page's width 8.
    owner = f"deg10{lang}"
    narrow = finished_experiment(store, owner, PAPER_LIKE, steps=1200)
    wider = finished_experiment(store, owner, PAPER_LIKE, steps=1200, width=16)
    options = open_page("degradation", lang, owner=owner, timeout=90).selectbox(key="degradation_pick").options
    assert options[0].startswith(f"#{wider[0]}–{wider[-1]}", options[0].index("#")) and options[0].endswith(wide), options
    assert options[1].startswith(f"#{narrow[0]}–{narrow[-1]}", options[1].index("#")) and options[1].endswith(plain), options


def _tables(at):
    from apptest_helpers import markdown_tables
    return markdown_tables(at)


@pytest.mark.parametrize("lang, none, exaggerate", [
    ("en", "the deeper plain net did not end with the higher training error here", "A short run can make the gap larger"),
    ("ko", "여기서는 더 깊은 플레인 네트워크의 학습 오류율이 더 높지 않았습니다", "짧은 학습에서는 이 차이가 끝까지 학습할 때보다 커질 수 있습니다"),
])
@pytest.mark.parametrize("p56, shown", [(0.25, "10.0%"), (0.5001, "20.0%")], ids=["lower", "equal-as-shown"])
def test_a_plain_56_that_did_not_end_worse_is_not_explained_as_an_exaggerated_gap(store, lang, none, exaggerate,
                                                                                  p56, shown):
    # Errors are 1 - (1 - loss / 2.5): plain-20 0.5 -> 20.0%; plain-56 0.25 -> 10.0%, and 0.5001 ->
    # 20.004%, above plain-20 by less than the one decimal the page shows: no gap to explain.
    owner = f"deg8{lang}{round(p56 * 10000)}"
    finished_experiment(store, owner, {**PAPER_LIKE, "plain-20": 0.5, "plain-56": p56})
    at = open_page("degradation", lang, owner=owner, timeout=90)
    against = "**Against the paper:**" if lang == "en" else "**논문과 비교:**"
    text = next(m.value for m in at.markdown if m.value.startswith(against))
    assert none in text and exaggerate not in text and shown in text and "20.0%" in text


@pytest.mark.parametrize("lang, shown", [
    ("en", "plain-56 ends at 30.3% training error and plain-20 at 10.0%: 20.3 points apart"),
    ("ko", "플레인-56 30.3%, 플레인-20 10.0%, 차이 20.3%p"),
])
def test_the_gap_is_the_difference_of_the_errors_as_shown(store, lang, shown):
    # Errors are loss / 2.5: 0.7565 -> 30.26% (shown 30.3%), 0.251 -> 10.04% (shown 10.0%). The gap
    # of the unrounded values would read 20.2 beside them; the page gives 30.3 - 10.0 = 20.3, in
    # the sentence and in the table of gaps by length.
    owner = f"deg10round{lang}"
    finished_experiment(store, owner, {**PAPER_LIKE, "plain-20": 0.251, "plain-56": 0.7565}, steps=150)
    finished_experiment(store, owner, {**PAPER_LIKE, "plain-20": 0.251, "plain-56": 0.7565}, steps=300)
    at = open_page("degradation", lang, owner=owner, timeout=90)
    against = "**Against the paper:**" if lang == "en" else "**논문과 비교:**"
    text = next(m.value for m in at.markdown if m.value.startswith(against))
    assert shown in text, text
    col = "plain-56 − plain-20 (training error, points)" if lang == "en" else "플레인-56 − 플레인-20 (학습 오류율, %p)"
    gaps = next(tb for tb in _tables(at) if col in tb.columns)
    assert list(gaps[col]) == ["20.3", "20.3"]


@pytest.mark.parametrize("lang, missing", [("en", "Not all four runs finished"), ("ko", "학습이 끝나지 않은 것이 있어서")])
def test_an_experiment_partly_served_by_a_lesion_pair_shows_all_four(store, lang, missing):
    """The Lesion study's pair is plain-20 and ResNet-20 with this very recipe: a press after it is
    served by those two runs (resnet_core.jobs.sharing), which stay in their own group and
    experiment, and queues only the 56-layer nets. The page shows the four, after a reload too."""
    from resnet_core.jobs import sharing

    owner, losses, experiment, ids = f"deg10srv{lang}", PAPER_LIKE, None, []
    # The pair first, a run of another page between: the four ids are not in a row.
    for label, model_cfg, train_cfg in sorted(experiments.degradation_configs("digits", steps=300),
                                              key=lambda c: c[1].depth):
        pair = model_cfg.depth == 20
        if not pair and experiment is None:
            store.create_run(model_cfg, train_cfg, owner="other0ne", label=label, group=groups.BUILD,
                             status="cancelled")
        rid = store.create_run(model_cfg, train_cfg, owner="teach0er" if pair else owner, label=label,
                               group=groups.STUDY_PAIR if pair else groups.DEGRADATION,
                               experiment=None if pair else experiment)
        experiment = experiment if pair else store.get_run(rid).experiment
        ids.append(rid)
        store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=20)
        acc = 1 - losses[label] / 2.5
        store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=losses[label], acc=acc, lr=0.1, seconds=0.1 * s,
                                                      grad_norms=[1.0, 0.5]) for s in range(1, 21)])
        store.finish_run(rid, status="finished", seconds=2.0, steps_done=300, final_train_loss=losses[label],
                         final_train_acc=acc, test_acc=acc)
        sharing.remember(store, rid, sharing.run_key(model_cfg, train_cfg))
        if pair:
            sharing.attach(store, owner, [rid])   # they answered this student's press
    at = open_page("degradation", lang, owner=owner, timeout=90)
    assert not [w.value for w in at.warning if missing in w.value]
    assert len(checks(at)) == 3 and all(c.startswith("✅") for c in checks(at)), checks(at)
    picker = at.selectbox(key="degradation_pick")
    assert len(picker.options) == 1
    assert ids[-1] - ids[0] == 4   # a gap: never "#1–5", which reads as five runs
    runs = "runs" if lang == "en" else "학습 기록"
    assert picker.options[0].startswith(f"{runs} {', '.join(f'#{i}' for i in ids)} · "), picker.options[0]


@pytest.mark.parametrize("lang, slow", [("en", "far longer (the estimate below"), ("ko", "아래의 예상 시간을 보세요")])
def test_the_cpu_note_points_to_an_estimate_only_where_there_is_one(tmp_path_factory, monkeypatch, lang, slow):
    """CIFAR-10 on a server without a GPU: the note sends the reader to the estimate below, which
    counts only the nets a press would train; once all four have finished here there is none."""
    from resnet_core.jobs import sharing
    from ui.training import page_runs
    monkeypatch.setattr(page_runs, "dataset_present", lambda name, data_dir="": True)
    monkeypatch.setattr(page_runs, "cuda_available", lambda: False)
    state = {"degradation_dataset": "cifar10", "degradation_steps": 150}
    def said(at):
        return [c.value for c in at.caption]
    with own_store(tmp_path_factory, f"degradation_cpu_{lang}") as db:
        store, runner = RunStore(db), jobs.get_runner()
        before = said(open_page("degradation", lang, state=state))
        assert any(slow in c for c in before) and any(":material/timer:" in c for c in before), before
        for label, m, tc in experiments.degradation_configs("cifar10", steps=150):
            rid = store.create_run(m, runner._on_device(tc), owner="teach0er", label=label, group=groups.DEGRADATION)
            store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=150)
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=150, final_train_loss=0.1,
                             final_train_acc=0.9, test_acc=0.9)
            sharing.remember(store, rid, sharing.run_key(m, runner._on_device(tc)))
        after = said(open_page("degradation", lang, state=state))
        assert not any(slow in c for c in after) and not any(":material/timer:" in c for c in after), after


@pytest.mark.parametrize("lang, said", [("en", "These nets are already trained on this server with these settings"),
                                        ("ko", "이 설정의 네트워크는 이 서버에서 이미 학습을 마쳤습니다")])
def test_a_press_that_would_train_nothing_says_so_where_the_time_would_be(store, lang, said):
    """When the four nets of these settings have all finished here (a classmate's experiment), a
    press trains nothing (resnet_core.jobs.sharing): the page says so instead of leaving the cost
    line's place empty."""
    from resnet_core.jobs import sharing

    runner = jobs.get_runner()
    for label, m, tc in experiments.degradation_configs("digits", steps=150, seed=7):
        tc = runner._on_device(tc)
        if sharing.find(runner.store, sharing.run_key(m, tc)) is None:
            rid = runner.store.create_run(m, tc, owner=CLASSMATE, label=label, group=groups.DEGRADATION)
            runner.store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=150)
            runner.store.finish_run(rid, status="finished", seconds=1.0, steps_done=150, final_train_loss=0.1,
                                    final_train_acc=0.9, test_acc=0.9)
            sharing.remember(runner.store, rid, sharing.run_key(m, tc))
    at = open_page("degradation", lang, owner="deg8done", state={"degradation_steps": 150, "degradation_seed": 7})
    captions = [c.value for c in at.caption]
    assert any(said in c for c in captions) and not any(":material/timer:" in c for c in captions), captions
    at = open_page("degradation", lang, owner="deg8done", state={"degradation_steps": 150, "degradation_seed": 8})
    assert any(":material/timer:" in c.value for c in at.caption)   # another seed: four nets to train


@pytest.mark.parametrize("lang, said", [
    ("en", "**Diverged:** these nets were already trained on this server with these settings, and the training loss of"
           " plain-56 became infinite"),
    ("ko", "**발산:** 이 설정의 네트워크는 이 서버에서 이미 학습한 적이 있으며, 그때 플레인-56의 학습 손실이")])
def test_a_press_served_by_a_diverged_run_is_not_called_already_trained(store, lang, said):
    """Where the four nets of these settings have run here and plain-56 diverged, a press trains
    nothing and brings back that diverged run (resnet_core.jobs.sharing): the line where the time
    would be says so, not "already trained"."""
    from resnet_core.jobs import sharing

    runner = jobs.get_runner()
    for label, m, tc in experiments.degradation_configs("digits", steps=150, seed=11):
        tc = runner._on_device(tc)
        if sharing.find(runner.store, sharing.run_key(m, tc)) is None:
            rid = runner.store.create_run(m, tc, owner=CLASSMATE, label=label, group=groups.DEGRADATION)
            runner.store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=150)
            runner.store.finish_run(rid, status="diverged" if label == "plain-56" else "finished", seconds=1.0,
                                    steps_done=150, final_train_loss=0.1, final_train_acc=0.9, test_acc=0.9)
            sharing.remember(runner.store, rid, sharing.run_key(m, tc))
    at = open_page("degradation", lang, owner="deg13div", state={"degradation_steps": 150, "degradation_seed": 11})
    warned, captions = [w.value for w in at.warning], [c.value for c in at.caption]
    assert any(w.startswith(said) for w in warned), warned
    assert not any(":material/check_circle:" in c or ":material/timer:" in c for c in captions), captions


@pytest.mark.parametrize("lang, said, again", [
    ("en", "**Diverged:** the training loss of plain-56 became infinite", "try another seed or number of steps"),
    ("ko", "**발산:** 플레인-56의 학습 손실이", "다른 시드나 단계 수로 해 보세요")])
def test_a_diverged_net_is_named_and_start_again_is_not_advised(store, lang, said, again):
    """A diverged run serves the same settings again (resnet_core.jobs.sharing), so the page names
    it and asks for other settings, not for the same press ("Start it again")."""
    owner = f"deg7div{lang}"
    ids = finished_experiment(store, owner, PAPER_LIKE, steps=150)
    store.set_status(ids[1], "diverged", "loss became nan at step 12")   # plain-56
    at = open_page("degradation", lang, owner=owner, state={"degradation_steps": 150})
    warned = [w.value for w in at.warning]
    assert any(w.startswith(said) and again in w for w in warned), warned
    assert not any("Start it again" in w or "다시 시작해 보세요" in w for w in warned)


@pytest.mark.parametrize("lang, mine, server", [
    ("en", "No experiment started from this browser yet", "No Degradation experiment on this server yet"),
    ("ko", "이 브라우저에서 시작한 실험이 아직 없습니다", "이 서버에는 아직 성능 저하 실험이 없습니다"),
])
def test_no_experiment_says_whose_were_read(tmp_path_factory, lang, mine, server):
    """Beside "these nets are already trained on this server" (runs of other pages), an empty list
    says whose experiments it read: this browser's, or with the class toggle on, the server's."""
    with own_store(tmp_path_factory, f"degempty{lang}"):      # a server with no Degradation experiment
        at = open_degradation(f"deg12empty{lang}", lang)
        assert any(mine in i.value for i in at.info) and not any(server in i.value for i in at.info)
        # The toggle on (written before the page draws: a Korean AppTest cannot rerun this page's
        # dataset picker, whose labels it formats in English)
        at = open_page("degradation", lang, owner=f"deg12empty{lang}", state={"degradation_show_class": True})
        assert at.toggle(key="degradation_show_class").value
        assert any(server in i.value for i in at.info) and not any(mine in i.value for i in at.info)
