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


def test_stored_runs_can_be_picked_and_the_twin_comes_with_the_plain_net(studied):
    _, ids, _ = studied
    at = open_page("lesion", owner="les0pick", state={"lesion_source": "runs", "lesion_class": True})
    assert at.session_state["lesion_plain_run"] == ids[0]
    assert at.session_state["lesion_residual_run"] == ids[1]
    assert len(figures(at)) == 2   # the same pair and draws: the finished study is shown again
