"""The Lesion study page under AppTest: a finished pair and study from the store are drawn in
both languages, and what the page says follows the measured verdict."""

import pytest
from apptest_helpers import figures, open_page, own_store
from study_helpers import finished_pair, finished_study

from resnet_core.store.runs import RunStore


@pytest.fixture(scope="module")
def studied(tmp_path_factory):
    with own_store(tmp_path_factory, "lesion") as db:
        store = RunStore(db)
        ids = finished_pair(store)
        result = finished_study(store, "lesion", {"draws": 5, "seed": 0, "run_ids": ids})
        yield store, ids, result


def test_nothing_trained_yet_offers_to_train(tmp_path_factory):
    with own_store(tmp_path_factory, "lesion_empty"):
        at = open_page("lesion", owner="les0none")
        assert at.button(key="lesion_train_pair")
        assert not figures(at)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_finished_study_is_drawn_with_its_verdict(studied, lang):
    _, ids, result = studied
    at = open_page("lesion", lang, owner="les0stud")
    figs = figures(at)
    assert len(figs) == 2
    bars = [tr for tr in figs[0]["data"] if tr["type"] == "bar"]
    assert len(bars) == 2 and len(bars[0]["x"]) == 9   # nine blocks of a 20-layer net, each net
    verdict = result["verdicts"]["20"]
    shown = [m.value for m in at.success] + [m.value for m in at.warning]
    assert len(shown) == len(verdict["checks"])
    assert len(at.success) == sum(verdict["checks"].values())
    held = ("held here" if lang == "en" else "재현되었습니다") if verdict["held"] else \
        ("did not fully hold" if lang == "en" else "완전히 재현되지")
    assert any(held in m.value for m in at.markdown)
    # The nets are named in the page's language: 플레인-20 in Korean, never plain-20.
    plain = "plain-20" if lang == "en" else "플레인-20"
    assert any(plain in m for m in shown)
    assert lang == "en" or not any("plain-" in m for m in shown + [m.value for m in at.markdown])


def test_stored_runs_can_be_picked_and_the_twin_comes_with_the_plain_net(studied):
    _, ids, _ = studied
    at = open_page("lesion", owner="les0pick", state={"lesion_source": "runs", "lesion_class": True})
    assert at.session_state["lesion_plain_run"] == ids[0]
    assert at.session_state["lesion_residual_run"] == ids[1]
    assert len(figures(at)) == 2   # the same pair and draws: the finished study is shown again


def test_a_study_that_ends_between_two_looks_is_drawn_not_left_at_full_progress(studied):
    """The page's list of studies is shared for two seconds; a study that ended within that time
    still reads "running" there. The page must look at the store, rerun, and draw the result."""
    from resnet_core import ModelConfig, TrainConfig
    from resnet_core.jobs.tasks import TASKS
    from ui import pairs

    store, ids, _ = studied
    params = {"draws": 1, "seed": 0, "run_ids": ids}
    tid = store.create_task("lesion", params, ModelConfig(), TrainConfig(), owner="les0race", label="lesion",
                            group=pairs._group("lesion", params))
    store.set_status(tid, "running")
    at = open_page("lesion", owner="les0race", state={"lesion_draws": 1})
    assert not figures(at)   # running: its progress, no result yet
    result = TASKS["lesion"](params, store=store, on_progress=lambda d, t: None, should_stop=lambda: False)
    store.save_result(tid, result)
    store.set_status(tid, "finished")
    at.run()   # within the two seconds: the shared list still says "running"
    assert len(figures(at)) == 2
