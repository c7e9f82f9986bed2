"""The evidence page under AppTest: the paper's numbers (from resnet_core.paper, checked against
shared/PAPER.md in test_paper.py), the misconceptions answered with counts and a gradient ratio
the page measures, and Figure 7 measured from stored, checkpointed runs (written here, no
training) with readings that follow the measured numbers."""

import pytest
import torch
from apptest_helpers import RAW_KEY, markdown_tables, metrics, open_page, own_store

from resnet_core import arch_config, build_model
from resnet_core.inspection import analysis
from resnet_core.store.runs import RunStore
from resnet_core.store import groups
from resnet_core.training import experiments


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with own_store(tmp_path_factory, "evidence") as db:
        yield RunStore(db)


def texts(at) -> list[str]:
    return ([m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
            + [s.value for s in at.subheader] + [m.label for m in at.metric] + [i.value for i in at.info])


def test_the_papers_numbers(store):
    at = open_page("evidence", owner="evid0")
    m = metrics(at)
    assert m["ImageNet test top-5 error, ensemble (1st in ILSVRC 2015)"] == "3.57%"
    assert (m["ResNet-152 FLOPs (multiply-adds)"], m["VGG-19 FLOPs (multiply-adds)"]) == ("11.3 G", "19.6 G")
    # Like with like: the paper's 11.3 G is the v1 layout's count; v1.5 is named as torchvision's.
    assert any("11.3 G MACs in the paper's layout (v1); 11.5 G MACs in torchvision's (v1.5)" in x for x in texts(at))
    table2 = markdown_tables(at)[0]
    assert list(table2["top-1 error (%)"]) == ["27.94", "28.54", "27.88", "25.03"]
    params = list(table2["parameters (counted here)"])
    assert params[0] == params[2] and params[1] == params[3]    # option A: the twins match exactly
    table6 = markdown_tables(at)[1]
    assert list(table6["CIFAR-10 test error (%)"]) == ["8.75", "7.51", "7.17", "6.97", "6.43", "7.93"]
    assert any("puts it down to overfitting" in x for x in texts(at))


def test_misconceptions_are_answered_with_measurements(store):
    at = open_page("evidence", owner="evid1", state={"evidence_section": "myths"})
    answer = next(x for x in texts(at) if x.startswith("Measured here at initialisation"))
    # No finished Degradation experiment in this store yet: the claim is not made, only pointed to.
    assert "The Degradation page measures whether plain-56 also trains worse than plain-20 on this server" in answer
    assert "still trains worse" not in answer
    ratio = float(answer.split("**")[1].rstrip("×").replace(",", ""))
    assert ratio > 1e3          # with BN, plain-56's gradients grow towards the input
    assert any("They use option **B**" in x and "**4** projection shortcuts" in x for x in texts(at))
    from resnet_core.nets import flops
    n = f"{flops.count(arch_config('resnet20')).params:,}"
    assert any(f"**{n}** parameters and plain-20 **{n}**: exactly the same" in x for x in texts(at))


def test_preact_and_alexnet_sections_in_korean(store):
    for section in ("preact", "alexnet", "fig7"):
        at = open_page("evidence", "ko", owner="evid2", state={"evidence_section": section})
        assert at.title[0].value == "논문의 근거"
        assert not [x for x in texts(at) if RAW_KEY.match(x)]
    assert any("커널 (3, 3)" in x or "커널 3" in x for x in texts(at)) or section == "fig7"


def _stored(store: RunStore, label: str, cfg, train_cfg, seed: int, experiment: str | None = None) -> int:
    rid = store.create_run(cfg, train_cfg, owner="evid3", label=label, group=groups.DEGRADATION,
                           experiment=experiment)
    store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
    torch.manual_seed(seed)
    store.save_checkpoint(rid, build_model(cfg))
    store.finish_run(rid, status="finished", seconds=1.0, steps_done=1, final_train_loss=1.0,
                     final_train_acc=0.5, test_acc=0.5)
    return rid


def test_figure7_from_stored_runs(store):
    at = open_page("evidence", owner="evid3", state={"evidence_section": "fig7"})
    assert any("No Degradation experiment started in this browser has plain-20/56" in i.value for i in at.info)
    experiment = None   # the four nets as one experiment, as the Degradation page queues them
    for label, cfg, train_cfg in experiments.degradation_configs("digits", steps=10):
        experiment = store.get_run(_stored(store, label, cfg, train_cfg, seed=0, experiment=experiment)).experiment
    at = open_page("evidence", owner="evid3", state={"evidence_section": "fig7"})
    means = {row[0]: float(row[1]) for row in markdown_tables(at)[0].itertuples(index=False)}
    assert set(means) == {"plain-20", "plain-56", "ResNet-20", "ResNet-56"}
    # The page's readings are the checks on the numbers it shows.
    checks = analysis.figure7_checks(means, decimals=3)
    starts = {"held": "**As in the paper", "reversed": "**Not as in the paper", "equal": "**No difference here",
              "unclear": "**Too small to tell"}
    shown = [x.value for x in list(at.success) + list(at.warning) + list(at.info)
             if x.value.startswith(tuple(starts.values()))]
    assert len(shown) == 3
    assert sorted(starts[o] for o in checks.values()) == sorted(next(v for v in starts.values() if x.startswith(v))
                                                                for x in shown)
    # What was measured is named: the dataset and the steps of the experiment the page took.
    assert any("Handwritten digits" in m.value and "10 training steps" in m.value for m in at.markdown)
    assert not any("on the digits" in m.value for m in at.markdown)


def _finished_degradation(store: RunStore, owner: str, losses: dict[str, float]) -> None:
    """The four degradation nets as one finished experiment (no checkpoints: the myth reads losses)."""
    experiment = None
    for label, cfg, train_cfg in experiments.degradation_configs("digits", steps=300):
        rid = store.create_run(cfg, train_cfg, owner=owner, label=label, group=groups.DEGRADATION,
                               experiment=experiment)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=losses[label],
                         final_train_acc=0.9, test_acc=0.9)


@pytest.mark.parametrize("lang, held, mixed", [
    ("en", "And on this server plain-56 did train worse than plain-20: final training loss 1.500 against 0.050",
     "plain-56's final training loss ended above plain-20's but less than twice as high, the margin the Degradation page asks for before it reports degradation (0.070 against 0.050"),
    ("ko", "그리고 이 서버에서도 플레인-56의 학습이 플레인-20보다 나빴습니다: 최종 학습 손실 1.500 대 0.050",
     "플레인-56의 최종 학습 손실이 플레인-20보다 높았지만, 성능 저하 문제 페이지가 성능 저하로 판정하는 기준인 두 배에는 못 미쳤습니다(0.070 대 0.050"),
])
def test_the_degradation_myth_says_what_this_servers_run_showed(store, lang, held, mixed):
    def answer() -> str:
        at = open_page("evidence", lang, owner=f"evid5{lang}", state={"evidence_section": "myths"})
        return next(m.value for m in at.markdown if "4.1" in m.value and ("BN" in m.value))

    _finished_degradation(store, "evid5cls", {"plain-20": 0.05, "plain-56": 1.5, "ResNet-20": 0.01, "ResNet-56": 0.01})
    assert held in answer()
    _finished_degradation(store, "evid5cls", {"plain-20": 0.05, "plain-56": 0.07, "ResNet-20": 0.01, "ResNet-56": 0.01})
    text = answer()
    assert mixed in text and held not in text


@pytest.mark.parametrize("lang, said", [
    ("en", "And on this server plain-56 did train worse than plain-20: final training loss 0.100 against 0.050 "
           "(Fashion-MNIST, 300 steps"),
    ("ko", "그리고 이 서버에서도 플레인-56의 학습이 플레인-20보다 나빴습니다: 최종 학습 손실 0.100 대 0.050 "
           "(Fashion-MNIST, 300단계"),
])
def test_the_degradation_myth_reads_the_losses_as_shown_and_names_the_dataset(store, lang, said):
    """0.1004 against 0.0504 shows as 0.100 against 0.050: twice, as the Degradation page reads it, so
    not "less than twice as high"; a CLI experiment on Fashion-MNIST is named, not "fashion_mnist";
    and the two runs the losses come from are named, as Figure 7 names its own."""
    experiment, ids = None, {}
    losses = {"plain-20": 0.0504, "plain-56": 0.1004, "ResNet-20": 0.01, "ResNet-56": 0.01}
    for label, cfg, train_cfg in experiments.degradation_configs("fashion_mnist", steps=300):
        rid = store.create_run(cfg, train_cfg, owner="evid6cls", label=label, group=groups.DEGRADATION,
                               experiment=experiment)
        experiment, ids[label] = store.get_run(rid).experiment, rid
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=losses[label],
                         final_train_acc=0.9, test_acc=0.9)
    at = open_page("evidence", lang, owner=f"evid6{lang}", state={"evidence_section": "myths"})
    answer = next(m.value for m in at.markdown if "4.1" in m.value and "BN" in m.value)
    assert said in answer and "fashion_mnist" not in answer, answer
    plain = "plain" if lang == "en" else "플레인"
    assert f"#{ids['plain-56']} {plain}-56, #{ids['plain-20']} {plain}-20)" in answer, answer


@pytest.mark.parametrize("lang, said", [
    ("en", "the newest Degradation experiment with all four nets finished, runs #{p56} plain-56, #{p20} plain-20)"),
    ("ko", "네 네트워크의 학습이 모두 끝난 가장 최근의 성능 저하 실험의 학습 기록 #{p56} 플레인-56, #{p20} 플레인-20)"),
])
def test_the_degradation_myth_skips_a_newer_experiment_still_running(store, lang, said):
    """A classmate's newer experiment with a net still training is not "the newest experiment" the
    sentence quotes: it names the newest one whose four nets all finished, and says so."""
    _finished_degradation(store, f"evid7{lang}", {"plain-20": 0.05, "plain-56": 1.5, "ResNet-20": 0.01, "ResNet-56": 0.01})
    done = {r.model_cfg.kind: r.id for r in store.list_runs(owner=f"evid7{lang}")}
    experiment = None
    for label, cfg, train_cfg in experiments.degradation_configs("digits", steps=300):
        rid = store.create_run(cfg, train_cfg, owner=f"evid7{lang}x", label=label, group=groups.DEGRADATION,
                               experiment=experiment)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        if label != "ResNet-56":   # still training
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=0.5,
                             final_train_acc=0.9, test_acc=0.9)
    at = open_page("evidence", lang, owner=f"evid7{lang}", state={"evidence_section": "myths"})
    answer = next(m.value for m in at.markdown if "4.1" in m.value and "BN" in m.value)
    assert said.format(p56=done["plain-56"], p20=done["plain-20"]) in answer, answer


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_experiment_partly_served_by_a_lesion_pair_counts_with_all_four(store, lang):
    """The Lesion study's pair is plain-20 and ResNet-20 with the Degradation recipe: a press after it
    is served by those two runs (resnet_core.jobs.sharing), which stay in their own group and
    experiment, and queues only the 56-layer nets. The Degradation page shows the four; Figure 7 and
    the misconception read the same four, never "none finished yet" or an older experiment."""
    from resnet_core.jobs import sharing

    owner, experiment, ids = f"evid8{lang}", None, {}
    losses = {"plain-20": 0.05, "plain-56": 1.5, "ResNet-20": 0.01, "ResNet-56": 0.01}
    for label, cfg, train_cfg in experiments.degradation_configs("digits", steps=10, seed=7):
        pair = cfg.depth == 20
        rid = store.create_run(cfg, train_cfg, owner="evid8teach" if pair else owner, label=label,
                               group=groups.STUDY_PAIR if pair else groups.DEGRADATION,
                               experiment=None if pair else experiment)
        experiment, ids[label] = experiment if pair else store.get_run(rid).experiment, rid
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        torch.manual_seed(0)
        store.save_checkpoint(rid, build_model(cfg))
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=10, final_train_loss=losses[label],
                         final_train_acc=0.9, test_acc=0.9)
        sharing.remember(store, rid, sharing.run_key(cfg, train_cfg))
        if pair:
            sharing.attach(store, owner, [rid])   # they answered this student's press
    plain = "plain" if lang == "en" else "플레인"
    at = open_page("evidence", lang, owner=owner, state={"evidence_section": "fig7"})
    assert not at.info, [i.value for i in at.info]
    assert len(markdown_tables(at)[0]) == 4
    assert any(f"#{ids['plain-20']} {plain}-20" in m.value for m in at.markdown)
    at = open_page("evidence", lang, owner=owner, state={"evidence_section": "myths"})
    answer = next(m.value for m in at.markdown if "4.1" in m.value and "BN" in m.value)
    assert f"#{ids['plain-56']} {plain}-56, #{ids['plain-20']} {plain}-20)" in answer, answer


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_figure7_press_served_by_shortcuts_runs_names_each_net_by_this_page(store, lang):
    """Evidence's own Figure 7 press, answered in part by runs the Shortcuts page trained (labelled
    "ResNet-20 A" there; resnet_core.jobs.sharing): the progress rows name every run as this page's
    button and Figure 7 do (plain-20, ResNet-20...), as the Degradation page names them."""
    from apptest_helpers import progress_bars

    owner, ids = f"evid9{lang}", []
    for label, cfg, train_cfg in experiments.degradation_configs("digits", steps=300, seed=9):
        served = cfg.depth == 20   # the Shortcuts page's plain-20 and ResNet-20 A, someone else's
        shown = f"{label} A" if served and cfg.residual else label
        rid = store.create_run(cfg, train_cfg, owner="evid9sc" if served else owner, label=shown,
                               group=groups.SHORTCUTS if served else groups.DEGRADATION)
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=300)
        ids.append(rid)   # running, no checkpoint: Figure 7 still waits and shows the press's progress
    at = open_page("evidence", lang, owner=owner,
                   state={"evidence_section": "fig7", "evidence_fig7_train_run_ids": ids})
    plain = "plain" if lang == "en" else "플레인"
    names = [label for label, *_ in progress_bars(at)]
    assert names == [f"{plain}-20", f"{plain}-56", "ResNet-20", "ResNet-56"], names


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_figure7_press_served_in_full_by_the_study_pairs_is_read(store, lang):
    """The Lesion study's and Loss landscape's pairs (ui/training/twins.py) are the Degradation recipe's
    nets at 20 and at 56 layers: a Figure 7 press after both is served in full, and none of its runs is
    in the Degradation group. Figure 7 reads them once they have finished, never "none finished yet"
    above four progress rows that say finished."""
    from resnet_core.jobs import sharing

    owner, ids, experiment = f"evid10{lang}", {}, {}
    for label, cfg, train_cfg in experiments.degradation_configs("digits", steps=10, seed=10):
        rid = store.create_run(cfg, train_cfg, owner="evid10pair", label=label, group=groups.STUDY_PAIR,
                               experiment=experiment.get(cfg.depth))
        experiment[cfg.depth], ids[label] = store.get_run(rid).experiment, rid
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=1)
        torch.manual_seed(0)
        store.save_checkpoint(rid, build_model(cfg))
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=10, final_train_loss=0.1,
                         final_train_acc=0.9, test_acc=0.9)
        sharing.remember(store, rid, sharing.run_key(cfg, train_cfg))
        sharing.attach(store, owner, [rid])   # they answered this student's press
    press = sorted(ids.values())   # what the press's button keeps (experiment_panel.start)
    at = open_page("evidence", lang, owner=owner,
                   state={"evidence_section": "fig7", "evidence_fig7_train_run_ids": press})
    assert not at.info, [i.value for i in at.info]
    assert len(markdown_tables(at)[0]) == 4
    plain = "plain" if lang == "en" else "플레인"
    assert any(f"#{ids['plain-56']} {plain}-56" in m.value and f"#{ids['ResNet-20']} ResNet-20" in m.value
               for m in at.markdown)


ALREADY = {"en": "These nets are already trained on this server", "ko": "이 설정의 네트워크는 이 서버에서 이미 학습을 마쳤습니다"}
# Whose experiments "none yet" is about: this browser's (the toggle off), or this server's (on).
NONE = {("en", True): "No Degradation experiment started in this browser has",
        ("ko", True): "이 브라우저에서 시작한 성능 저하 실험 중에는",
        ("en", False): "No Degradation experiment on this server has",
        ("ko", False): "이 서버의 성능 저하 실험 중에는"}
ANEW = {"en": "but their checkpoints have since been dropped", "ko": "그 뒤 체크포인트가 지워졌습니다"}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("weights", [True, False])
def test_figure7_cost_line_counts_only_what_the_press_would_train(tmp_path_factory, lang, weights):
    """A classmate's Degradation experiment at its defaults is Figure 7's press: it serves the press at
    once, and the cost line says so instead of "4 runs, about a minute". When those nets' checkpoints
    were dropped Figure 7 could never read them: the line counts the four, and the press trains them anew
    rather than bringing back the same finished rows."""
    from apptest_helpers import wait_runs_ended

    from resnet_core.jobs import runner as jobs
    from resnet_core.jobs import sharing
    with own_store(tmp_path_factory, f"evidence_cost{lang}{int(weights)}") as db:
        store, runner = RunStore(db), jobs.get_runner()
        experiment = None
        for label, m, tc in experiments.degradation_configs("digits", steps=300):
            tc = runner._on_device(tc)
            rid = store.create_run(m, tc, owner="classm9", label=label, group=groups.DEGRADATION, experiment=experiment)
            experiment = store.get_run(rid).experiment
            store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=300)
            if weights:
                torch.manual_seed(0)
                store.save_checkpoint(rid, build_model(m))
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=300, final_train_loss=0.1,
                             final_train_acc=0.9, test_acc=0.9)
            sharing.remember(store, rid, sharing.run_key(m, tc))
        owner = f"evidcost{lang}{int(weights)}"
        at = open_page("evidence", lang, owner=owner, state={"evidence_section": "fig7"})
        captions = [c.value for c in at.caption]
        assert any(ALREADY[lang] in c for c in captions) == weights, captions
        assert any(":material/timer:" in c for c in captions) != weights, captions
        # "None yet" names its scope (a classmate's nets are not this browser's), beside "already trained".
        assert any(NONE[lang, True] in i.value and "**" in i.value for i in at.info), [i.value for i in at.info]
        assert any(ANEW[lang] in c for c in captions) != weights, captions
        if not weights:   # the class's runs read, and still none with weights: the server-wide sentence
            on = open_page("evidence", lang, owner=owner, state={"evidence_section": "fig7",
                                                                  "evidence_fig7_show_class": True})
            assert any(NONE[lang, False] in i.value for i in on.info), [i.value for i in on.info]
        if weights or lang == "ko":   # the click once is enough
            return
        at.button(key="evidence_fig7_train").click().run()
        mine = store.list_runs(owner=owner)
        assert sorted(r.model_cfg.kind for r in mine) == ["ResNet-20", "ResNet-56", "plain-20", "plain-56"]
        for r in mine:
            runner.cancel(r.id)
        wait_runs_ended(store, [r.id for r in mine], 60)


def test_alexnet_reads_only_runs_that_ran_their_course(store):
    """A run stopped before it reached 25% training error is not "– = not within these steps": with
    one arm stopped the page draws no step comparison; with both run to the end it does (en, ko)."""
    from resnet_core.store import groups
    from resnet_core.training.results import StepRecord

    from resnet_core import arch_config as cfg_of
    from resnet_core.training import experiments
    train = experiments.recipe("digits", steps=300).replace(lr=0.05, schedule="constant", warmup_steps=0)
    ids = []
    for act, reach in (("relu", 40), ("tanh", None)):
        m = cfg_of("plain8", in_channels=1, input_size=8, base_width=16, norm="none", activation=act, init="xavier")
        rid = store.create_run(m, train, owner="alexstop", label=f"plain-8 {act}", group=groups.EVIDENCE_ALEXNET)
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=300)
        last = 300 if reach else 30
        store.write_batch(rid, steps=[StepRecord(i, 1.0, 0.9 if reach and i >= reach else 0.3, 0.05, [], 0.1 * i)
                                      for i in range(1, last + 1)])
        store.finish_run(rid, status="finished" if reach else "cancelled", seconds=1.0, steps_done=last,
                         final_train_loss=1.0, final_train_acc=0.5, test_acc=0.5)
        ids.append(rid)
    for lang, said in (("en", "Measured here"), ("ko", "여기서 측정한 값")):
        at = open_page("evidence", lang, owner="alexstop", state={"evidence_section": "alexnet",
                                                                   "evidence_alex_train_run_ids": ids})
        assert not any(x.startswith(said) for x in texts(at)), texts(at)
    store.finish_run(ids[1], status="finished", seconds=1.0, steps_done=30, final_train_loss=1.0,
                     final_train_acc=0.5, test_acc=0.5)
    at = open_page("evidence", "en", owner="alexstop", state={"evidence_section": "alexnet",
                                                               "evidence_alex_train_run_ids": ids})
    assert any(x.startswith("Measured here: step at which training error first reached 25%: ReLU ") and
               "tanh –" in x for x in texts(at)), texts(at)
