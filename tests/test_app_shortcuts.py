"""The Shortcuts A/B/C page under AppTest: the costs it shows are flops.shortcut_costs' to the
unit, the paper's Table 3 stands beside them, both languages render, and A, B and C (with their
plain twin) train in the background and end in a results table."""

import pytest
from apptest_helpers import (
    APP,
    RAW_KEY,
    markdown_tables,
    open_page,
    own_store,
    progress_bars,
    svg_bars,
    svg_charts,
    svg_title,
    svg_y_ticks,
)
from streamlit.testing.v1 import AppTest

from resnet_core.jobs import runner as jobs
from resnet_core.jobs.runner import JobRunner, QueueFull
from resnet_core.nets import flops
from resnet_core.nets.architectures import arch_config
from resnet_core.inspection import readings
from resnet_core.store import groups
from ui.page import nav


@pytest.fixture(scope="module", autouse=True)
def runner(tmp_path_factory):
    """A job runner on a throw-away store of our own, which every page here picks up; the previous
    runner and environment come back afterwards."""
    with own_store(tmp_path_factory, "shortcuts"):
        yield jobs.get_runner()


def open_shortcuts(lang: str = "en") -> AppTest:
    return open_page("shortcuts", lang)


def cost_rows(at: AppTest) -> list[dict]:
    return markdown_tables(at)[0].to_dict("records")


def expected_rows(arch: str, layout: str) -> list[dict]:
    costs = flops.shortcut_costs(arch, stride_at=layout)
    a = costs[0]
    return [{"1×1 projections": str(c.projections), "parameters": f"{c.params:,}",
             "parameters vs A": f"{c.params - a.params:+,}", "multiply-adds (MACs)": f"{c.macs:,}",
             "MACs vs A": f"{c.macs - a.macs:+,}"} for c in costs]


def test_default_costs_are_resnet34s_and_match_the_counter(runner):
    at = open_shortcuts()
    assert at.title[0].value == "Shortcuts A/B/C"
    rows = cost_rows(at)
    assert [r["Option"] for r in rows] == ["A: zero-padding identity", "B: projection where dimensions grow",
                                           "C: projection on every shortcut"]
    assert [{k: v for k, v in r.items() if k != "Option"} for r in rows] == expected_rows("resnet34", "v1")
    # torchvision's ResNet-34 is option B: 21,797,672 parameters.
    assert rows[1]["parameters"] == "21,797,672"
    diffs = [m.value for m in at.markdown if m.value.startswith(("**B − A**", "**C − A**"))]
    assert diffs == [
        "**B − A** = **173,824** parameters (+0.80%) and **19,267,584** multiply-adds (+0.53%): "
        "3 projection shortcuts.",
        "**C − A** = **1,092,992** parameters (+5.05%) and **186,253,312** multiply-adds (+5.11%): "
        "16 projection shortcuts."]


@pytest.mark.parametrize("arch, layout", [("resnet20", "v1"), ("resnet56", "v1"), ("resnet18", "v1"),
                                          ("resnet50", "v1"), ("resnet50", "v1.5")])
def test_costs_follow_the_chosen_net(runner, arch, layout):
    at = open_shortcuts()
    at.selectbox(key="shortcuts_arch").set_value(arch).run()
    radio = at.radio(key="shortcuts_layout")
    assert radio.disabled == (arch != "resnet50")   # the stride's place matters for bottlenecks only
    if arch == "resnet50":
        radio.set_value(layout).run()
    assert not at.exception
    assert [{k: v for k, v in r.items() if k != "Option"} for r in cost_rows(at)] == expected_rows(arch, layout)
    if arch == "resnet20":
        # Option A adds nothing: the paper's CIFAR net keeps 0.27M parameters, like its plain twin.
        assert cost_rows(at)[0]["parameters"] == f"{flops.count(arch_config('plain20')).params:,}"
    caption = "bottleneck" if arch == "resnet50" else "basic blocks"
    assert any(caption in c.value for c in at.caption)


def test_the_papers_table_3_stands_beside(runner):
    at = open_shortcuts()
    table = markdown_tables(at)[1]
    assert table.to_dict("list") == {"Network": ["plain-34", "ResNet-34 A", "ResNet-34 B", "ResNet-34 C"],
                                     "top-1 error (%)": ["28.54", "25.03", "24.52", "24.19"],
                                     "top-5 error (%)": ["10.02", "7.76", "7.46", "7.40"]}
    assert any("10-crop" in c.value for c in at.caption)
    [chart] = [c for c in svg_charts(at) if svg_title(c) == "The paper's result: Table 3"]
    assert [b[4] for b in svg_bars(chart)] == [
        "plain-34: 28.54", "ResNet-34 A: 25.03", "ResNet-34 B: 24.52", "ResNet-34 C: 24.19",
        "plain-34: 10.02", "ResNet-34 A: 7.76", "ResNet-34 B: 7.46", "ResNet-34 C: 7.40"]
    heights = [b[3] for b in svg_bars(chart)]
    top1_scale, top5_scale = heights[0] / 28.54, heights[4] / 10.02       # each panel its own axis
    assert heights[:4] == pytest.approx([v * top1_scale for v in (28.54, 25.03, 24.52, 24.19)], abs=0.2)
    assert heights[4:] == pytest.approx([v * top5_scale for v in (10.02, 7.76, 7.46, 7.40)], abs=0.2)


def bar_values(chart) -> list[tuple[str, float, float]]:
    """(tooltip, its value, the value the bar's height reads on its panel's axis) per bar; the
    axis is the line through the 0 and the top tick of the panel the bar stands in."""
    ticks = svg_y_ticks(chart)
    zeros = [i for i, (v, _) in enumerate(ticks) if v == 0] + [len(ticks)]
    panels = [ticks[a:b] for a, b in zip(zeros, zeros[1:])]
    out = []
    for i, (x, y, w, h, tip) in enumerate(svg_bars(chart)):
        (v0, y0), (v1, y1) = panels[i // 2][0], panels[i // 2][-1]
        out.append((tip, float(tip.split(": ")[1].replace(",", "")), h / (y0 - y1) * (v1 - v0)))
    return out


def test_the_extra_cost_bars_are_the_counters_differences_and_no_plotly_on_arrival(runner):
    at = open_shortcuts()
    assert not at.get("plotly_chart")           # diagram, costs and Table 3 are inline SVG
    titles = [svg_title(c) for c in svg_charts(at)]
    assert titles == ["The three options", "What each option costs", "The paper's result: Table 3"]
    a, b, c = flops.shortcut_costs("resnet34", stride_at="v1")
    bars = bar_values(svg_charts(at)[1])
    assert [(tip, value) for tip, value, _ in bars] == [
        (f"B − A: {b.params - a.params:,}", b.params - a.params),
        (f"C − A: {c.params - a.params:,}", c.params - a.params),
        (f"B − A: {b.macs - a.macs:,}", b.macs - a.macs), (f"C − A: {c.macs - a.macs:,}", c.macs - a.macs)]
    for _, value, height_reads in bars:
        assert height_reads == pytest.approx(value, rel=2e-3)
    texts = {"".join(t.itertext()) for t in svg_charts(at)[1].iter() if t.tag.endswith("text")}
    assert {"+173.8 k (+0.80%)", "+1.09 M (+5.05%)", "+19.3 M (+0.53%)", "+186.3 M (+5.11%)"} <= texts
    diagram = {"".join(t.itertext()) for t in svg_charts(at)[0].iter() if t.tag.endswith("text")}
    assert {"A: zero-padding identity", "B: projection where dimensions grow", "C: projection on every shortcut",
            "every 2nd pixel+ zero channels", "no parameters", "C_in × C_out weights"} <= diagram


def test_korean_has_no_missing_text(runner):
    at = open_shortcuts("ko")
    assert at.title[0].value == "숏컷 A/B/C"
    texts = ([m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
             + list(markdown_tables(at)[0].columns))
    assert not [x for x in texts if RAW_KEY.match(x)], "a key without a translation is showing"
    assert "사영" in markdown_tables(at)[0].iloc[1, 0]
    diagram, extra, paper = svg_charts(at)
    texts = {"".join(t.itertext()) for chart in (diagram, extra, paper) for t in chart.iter() if t.tag.endswith("text")}
    assert {"A: 제로 패딩 항등 연결", "파라미터 없음", "A보다 늘어난 파라미터 수", "top-1 오류율 (%)", "플레인-34"} <= texts
    assert not at.get("plotly_chart")


def test_while_a_b_c_train_their_curves_are_svg_then_plotly(runner):
    """Written straight into the store as four running nets (a watching browser redraws the live
    part every second): SVG while they train, plotly's interactive figures once they end."""
    from types import SimpleNamespace

    from resnet_core.training import experiments

    store, experiment, ids = runner.store, None, []
    for label, model_cfg, train_cfg in experiments.shortcut_configs("digits", depth=20, steps=300):
        rid = store.create_run(model_cfg, train_cfg, owner="sc9svg", label=label, group=groups.SHORTCUTS,
                               experiment=experiment)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=300)
        store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=2.0 / s, acc=s / 40, lr=0.1, seconds=0.1 * s,
                                                      grad_norms=[1.0, 0.5]) for s in range(1, 31)],
                          evals=[(25, 0.5, 0.6)])
        ids.append(rid)
    at = open_page("shortcuts", "en", owner="sc9svg")
    assert not at.get("plotly_chart")
    titles = [svg_title(c) for c in svg_charts(at)]
    assert titles[-2:] == ["training loss (cross-entropy, log scale)", "held-out accuracy (fraction correct)"]
    for rid in ids:
        store.finish_run(rid, status="finished", seconds=3.0, steps_done=30, final_train_loss=0.07,
                         final_train_acc=0.75, test_acc=0.6)
    at.run()
    assert len(at.get("plotly_chart")) == 2
    assert "training loss (cross-entropy, log scale)" not in [svg_title(c) for c in svg_charts(at)]


def test_a_b_c_train_side_by_side(runner):
    at = open_shortcuts()
    assert any("Nothing started from this browser yet" in c.value for c in at.caption)
    at.select_slider(key="shortcuts_train_depth").set_value(8)
    at.select_slider(key="shortcuts_train_steps").set_value(50)
    at.button(key="shortcuts_train").click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    ids = at.session_state["shortcuts_run_ids"]
    assert len(ids) == 4
    assert [runner.wait(i, timeout=300) for i in ids] == ["finished"] * 4
    at.run()
    assert not at.exception and not at.error
    results = markdown_tables(at)[2]
    assert list(results["Network"]) == ["plain-8", "ResNet-8 A", "ResNet-8 B", "ResNet-8 C"]
    # Option A has exactly its plain twin's parameters; B and C add projections.
    params = [int(p.replace(",", "")) for p in results["parameters"]]
    assert params[0] == params[1] < params[2] < params[3]
    assert all(acc.endswith("%") for acc in results["held-out accuracy"])
    # The reading is chosen from these runs' held-out accuracies and shows them, beside Table 3.
    acc = dict(zip(["plain", "A", "B", "C"], results["held-out accuracy"]))
    [honest] = [i.value for i in at.info if "Table 3" in i.value]
    assert all(f"{o} {acc[o]}" in honest for o in "ABC"), honest
    values = {o: float(acc[o].rstrip("%")) for o in "ABC"}
    spread = max(values.values()) - min(values.values())
    limit = 100 * readings.SHORTCUT_TOLERANCE   # shown values are rounded: near the limit either reads
    expected = {"exactly the same held-out accuracy"} if spread == 0 else {"too small to tell apart"} \
        if spread < limit - 0.1 else {"ended highest"} if spread > limit + 0.1 \
        else {"too small to tell apart", "ended highest"}
    assert any(e in honest for e in expected) and "B is slightly better than A" in honest
    # A reload in a new session finds the user's experiment again (the owner id is in the URL).
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params.update({"lang": "en", "u": at.query_params["u"]})
    again.run()
    again.switch_page(nav.file_of("shortcuts")).run()
    assert list(markdown_tables(again)[2]["Network"]) == ["plain-8", "ResNet-8 A", "ResNet-8 B", "ResNet-8 C"]


def test_a_full_queue_is_a_translated_message(runner, monkeypatch):
    def full(self, runs, **kwargs):
        raise QueueFull("the training queue is full")

    monkeypatch.setattr(JobRunner, "submit_many", full)
    # (English: AppTest formats option labels outside the app's session, so in Korean it cannot
    # click on a page whose radio labels are translated; the Korean text is checked in test_i18n.)
    at = open_shortcuts()
    at.button(key="shortcuts_train").click().run()
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    assert at.warning[0].value.startswith("The training queue has no room for this request (") and "Try again" in at.warning[0].value
    assert "shortcuts_run_ids" not in at.session_state


def test_one_experiment_at_a_time(runner, monkeypatch):
    """While this user's experiment waits in the queue the button is greyed out, and its help says
    so: queued, not only training."""
    def queue_only(self, runs, *, owner="", group="", display_name="", **_):   # teacher, share: unused here
        # Recorded as queued, never trained: the page sees an experiment still going.
        return [self.store.create_run(m, tc, owner=owner, label=label, group=group) for label, m, tc in runs]

    monkeypatch.setattr(JobRunner, "submit_many", queue_only)
    at = open_shortcuts()
    assert not at.button(key="shortcuts_train").disabled
    at.button(key="shortcuts_train").click().run()
    ids = at.session_state["shortcuts_run_ids"]
    try:
        assert not at.exception
        assert at.button(key="shortcuts_train").disabled, "a second click would queue a second experiment"
        assert "still waiting in the queue or training" in at.button(key="shortcuts_train").help
        ko = open_page("shortcuts", "ko", state={"shortcuts_run_ids": ids})   # the same experiment, in Korean
        assert ko.button(key="shortcuts_train").disabled
        assert "대기열에서 기다리고 있거나 학습 중입니다" in ko.button(key="shortcuts_train").help
        assert [pct for *_, pct in progress_bars(at)] == [0.0] * 4
    finally:
        for run_id in ids:
            runner.store.set_status(run_id, "cancelled")
    at.run()
    assert not at.button(key="shortcuts_train").disabled


@pytest.mark.parametrize("lang, shown", [
    ("en", "(A 90.1%, B 89.5%, C 88.9%; 1.2 points from the lowest)"),
    ("ko", "(A 90.1%, B 89.5%, C 88.9%, 가장 낮은 것과 1.2%p 차이)"),
])
def test_the_spread_is_the_difference_of_the_accuracies_as_shown(runner, lang, shown):
    """A 90.06% and C 88.94% read 90.1% and 88.9%: 1.2 points apart, never the 1.1 of the
    unrounded values."""
    owner = f"sc10round{lang}"
    _finished_options(runner.store, owner, {"plain": 0.5, "A": 0.9006, "B": 0.895, "C": 0.8894})
    at = open_page("shortcuts", lang, owner=owner)
    table3 = "Table 3" if lang == "en" else "표 3"
    [honest] = [i.value for i in at.info if table3 in i.value]
    assert shown in honest, honest


def _finished_options(store, owner: str, accs: dict, dataset: str = "digits") -> None:
    """A finished plain, A, B and C experiment with these held-out accuracies (no training), as the
    page's press records it (digits) or the CLI on another `dataset` (`experiment shortcuts --owner`)."""
    from types import SimpleNamespace

    from resnet_core.training import experiments

    experiment = None
    for label, model_cfg, train_cfg in experiments.shortcut_configs(dataset, depth=8, steps=30):
        rid = store.create_run(model_cfg, train_cfg, owner=owner, label=label, group=groups.SHORTCUTS,
                               experiment=experiment)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=30)
        acc = accs[label.split()[-1] if label.startswith("ResNet") else "plain"]
        store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=2.0 / s, acc=acc, lr=0.1, seconds=0.1 * s,
                                                      grad_norms=[1.0, 0.5]) for s in range(1, 31)],
                          evals=[(30, 0.5, acc)])
        store.finish_run(rid, status="finished", seconds=3.0, steps_done=30, final_train_loss=0.07,
                         final_train_acc=acc, test_acc=acc)


@pytest.mark.parametrize("lang, tied, spread", [
    ("en", "Here A, B and C ended with exactly the same held-out accuracy (90.3% each, on 359 held-out images)", "points"),
    ("ko", "여기서는 A, B, C의 검증 정확도가 모두 90.3%로 똑같습니다(검증 이미지 359장)", "%p"),
])
@pytest.mark.parametrize("c", [324 / 359, 323 / 359], ids=["tied", "apart"])
def test_three_options_that_tie_are_said_to_tie_not_to_be_within_zero_points(runner, lang, tied, spread, c):
    """324 of 359 digits each (90.3%) is a tie: no "within 0.0 points", no order; 323 for C
    (90.0%) is the ordinary "within 0.3 points"."""
    owner = f"sc11tie{lang}{round(c * 10000)}"
    _finished_options(runner.store, owner, {"plain": 0.5, "A": 324 / 359, "B": 324 / 359, "C": c})
    at = open_page("shortcuts", lang, owner=owner)
    table3 = "Table 3" if lang == "en" else "표 3"
    [honest] = [i.value for i in at.info if table3 in i.value]
    if c == 324 / 359:
        assert honest.startswith(tied) and "0.0" not in honest and spread not in honest.split(table3)[0], honest
    else:
        assert not honest.startswith(tied) and "0.3" in honest, honest


@pytest.mark.parametrize("lang, alike, pair", [
    ("en", "Here A, B and C ended within 1.0 accuracy points of each other on the 12,000 held-out images "
           "(A 90.3%, B 90.3%, C 89.3%)", "Here A and B ended highest on the held-out images (A 90.3%, B 90.3%, C 85.0%;"),
    ("ko", "여기서는 검증 이미지 12,000장에서 잰 A, B, C의 정확도가 서로 1.0%p 안에 있습니다(A 90.3%, B 90.3%, C 89.3%)",
     "여기서는 A와 B 방식의 검증 정확도가 가장 높았습니다(A 90.3%, B 90.3%, C 85.0%,"),
])
def test_an_experiment_on_other_data_is_read_as_shown_with_its_own_held_out_count(runner, lang, alike, pair):
    """An A/B/C experiment the CLI recorded for this user on CIFAR-10 (12,000 held-out images, not
    the digits' 359) shows here: the sentence gives its own count, and reads the accuracies as it
    shows them. 10,836 and 10,716 of 12,000 (90.3% and 89.3%) are 1.0 point apart, within the 1 point
    called too small (the raw 0.010000000000000009 read "ended highest"); 10,837 and 10,834 both read
    90.3%: a tie at the top, not A alone."""
    n = 12_000
    for case, accs in (("alike", {"A": 10_836 / n, "B": 10_835 / n, "C": 10_716 / n}),
                       ("pair", {"A": 10_837 / n, "B": 10_834 / n, "C": 10_200 / n})):
        owner = f"sc13cifar{case}{lang}"
        _finished_options(runner.store, owner, {"plain": 0.5, **accs}, dataset="cifar10")
        at = open_page("shortcuts", lang, owner=owner)
        assert not at.exception
        table3 = "Table 3" if lang == "en" else "표 3"
        [honest] = [i.value for i in at.info if table3 in i.value]
        assert honest.startswith(alike if case == "alike" else pair), honest
        assert "digits" not in honest and "숫자" not in honest and "360" not in honest, honest


@pytest.mark.parametrize("lang, names, missing", [
    ("en", ["plain-20", "ResNet-20 A", "ResNet-20 B", "ResNet-20 C"], "Not all of A, B and C finished"),
    ("ko", ["플레인-20", "ResNet-20 A", "ResNet-20 B", "ResNet-20 C"], "끝나지 않은 학습이 있어"),
])
def test_a_press_partly_served_by_a_degradation_experiment_compares_all_three(runner, lang, names, missing):
    """At the pages' defaults (digits, 300 steps, seed 0) plain-20 and ResNet-20 A are the
    Degradation page's plain-20 and ResNet-20: a press after a Degradation experiment is served by
    those runs (resnet_core.jobs.sharing), labelled "ResNet-20" and kept in their own experiment,
    and queues only B and C. The page still shows and compares A, B and C."""
    from types import SimpleNamespace

    from resnet_core.jobs import sharing
    from resnet_core.training import experiments

    store, owner = runner.store, f"sc12srv{lang}"
    wanted = {(m.residual, m.shortcut if m.residual else "") for _, m, _ in
              experiments.shortcut_configs("digits", depth=20, steps=300)}
    served = [(label, m, tc, groups.DEGRADATION) for label, m, tc in experiments.degradation_configs("digits", steps=300)
              if m.depth == 20]
    fresh = [(label, m, tc, groups.SHORTCUTS) for label, m, tc in experiments.shortcut_configs("digits", depth=20, steps=300)
             if m.residual and m.shortcut in "BC"]
    assert {(m.residual, m.shortcut if m.residual else "") for _, m, *_ in served + fresh} == wanted
    experiment = None
    for label, m, tc, group in served + fresh:
        mine = group == groups.SHORTCUTS
        rid = store.create_run(m, tc, owner=owner if mine else "teach0er", label=label, group=group,
                               experiment=experiment if mine else None)
        experiment = store.get_run(rid).experiment if mine else experiment
        acc = {"plain-20": 0.5, "ResNet-20": 0.9}.get(label, 0.8)
        store.start_run(rid, device="cpu", layer_names=["stem.conv", "head.fc"], stat_names=[], total_steps=300)
        store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=1.0, acc=acc, lr=0.1, seconds=0.1, grad_norms=[1.0, 0.5])
                                      for s in (1, 300)], evals=[(300, 0.5, acc)])
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=0.1, final_train_acc=acc,
                         test_acc=acc)
        sharing.remember(store, rid, sharing.run_key(m, tc))
        if not mine:
            sharing.attach(store, owner, [rid])
    at = open_page("shortcuts", lang, owner=owner)
    assert list(markdown_tables(at)[2]["Network" if lang == "en" else "네트워크"]) == names
    assert [label for label, *_ in progress_bars(at)] == names   # the served "ResNet-20" is option A here too
    [honest] = [i.value for i in at.info if ("Table 3" if lang == "en" else "표 3") in i.value]
    assert missing not in honest and "A 90.0%" in honest, honest


@pytest.mark.parametrize("lang, four, two", [("en", "(4 runs,", "(2 runs,"), ("ko", "(학습 4개,", "(학습 2개,")])
def test_the_time_estimate_counts_only_the_nets_a_press_would_train(runner, lang, four, two):
    """plain-56 and ResNet-56 A at 50 steps are a Degradation experiment's plain-56 and ResNet-56:
    once those have finished, a press reuses them at once (resnet_core.jobs.sharing) and queues B
    and C only, so the cost line counts two runs, not four."""
    from resnet_core.jobs import sharing
    from resnet_core.training import experiments

    state = {"shortcuts_train_depth": 56, "shortcuts_train_steps": 50}
    def timer(at):
        return [c.value for c in at.caption if ":material/timer:" in c.value]
    store, key = runner.store, (lambda m, tc: sharing.run_key(m, runner._on_device(tc)))
    planned = experiments.degradation_configs("digits", steps=50)
    if not any(sharing.find(store, key(m, tc)) for _, m, tc in planned):
        assert any(four in c for c in timer(open_page("shortcuts", lang, state=state)))
        for label, m, tc in planned:
            if m.depth == 56:
                rid = store.create_run(m, runner._on_device(tc), owner="teach0er", label=label, group=groups.DEGRADATION)
                store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=50)
                store.finish_run(rid, status="finished", seconds=1.0, steps_done=50, final_train_loss=0.1,
                                 final_train_acc=0.9, test_acc=0.9)
                sharing.remember(store, rid, key(m, tc))
    said = timer(open_page("shortcuts", lang, state=state))
    assert any(two in c for c in said), said
