"""A training cluster that cannot be reached, under AppTest: a page that trains nothing shows no
word of it; a page that trains says "the training cluster at ADDR cannot be reached: REASON" and
what happens to a run (it waits, or trains here with the local setting), in both languages; the
teacher sees the cluster's state and can ask for a new try. Real pages, a real runner; the
cluster's address has nothing behind it (tests/test_cluster.py checks the queue itself)."""

import pytest
from apptest_helpers import LentPool, open_page, own_store
from ray_head import refused_port
from test_app_teacher import KEY, enter_key, open_app
from test_jobs import wait_for

from resnet_core.jobs import runner as jobs
from resnet_core.jobs.cluster import ClusterExecutor
from resnet_core.jobs.runner import JobRunner
from resnet_core.store.runs import RunStore
from ui.users import teacher_key

ADDRESS = f"ray://127.0.0.1:{refused_port()}"
HOST_PORT = ADDRESS.removeprefix("ray://")
OWNER = "c1c1c1c1c1c1c1c1"


@pytest.fixture(scope="module", params=["wait", "local"])
def unreachable(request, tmp_path_factory):
    """The app's runner on a cluster that is not there: runs wait for it, or train here."""
    local = request.param == "local"
    with own_store(tmp_path_factory, "cluster") as db:
        executor = ClusterExecutor(ADDRESS, retry=(60.0,), fallback=LentPool if local else None)
        jobs._RUNNER = JobRunner(RunStore(db), executor=executor)
        wait_for(lambda: executor.state().state == "unreachable", 30)
        yield request.param


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_training_page_says_the_cluster_cannot_be_reached(unreachable, lang):
    at = open_page("build", lang, owner=OWNER)
    said = [w for w in warnings(at) if ADDRESS in w]
    assert len(said) == 1, warnings(at)
    reason = f"nothing answers at {HOST_PORT} (the system's message: Connection refused)"   # no Python type name
    if lang == "en":
        assert said[0].startswith(f"The training cluster at {ADDRESS} cannot be reached: {reason}")
        then = "train on this server instead" if unreachable == "local" else "wait in the queue"
    else:
        # our words about the port in Korean; the system's own ("Connection refused") marked as its words
        assert said[0].startswith(f"학습 클러스터({ADDRESS})에 연결할 수 없습니다: {HOST_PORT}에서 아무것도 "
                                  "응답하지 않습니다(시스템 메시지: Connection refused)"), said[0]
        then = "이 서버에서 대신 진행합니다" if unreachable == "local" else "대기열에서 기다렸다가"
    assert then in said[0], said[0]


def test_a_page_that_trains_nothing_says_nothing_of_it(unreachable):
    for page in ("home", "bottleneck"):
        at = open_page(page, "en", owner=OWNER)
        assert not [w for w in warnings(at) if ADDRESS in w], page


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_teacher_sees_the_clusters_state_and_can_try_again(unreachable, lang, monkeypatch):
    monkeypatch.setenv(teacher_key.KEY_ENV, KEY)
    monkeypatch.setattr(teacher_key, "_last_check", [0.0])
    at = enter_key(open_app(OWNER, lang=lang), KEY)
    said = [w.value for w in at.warning if ADDRESS in w.value]
    assert len(said) == 1, [w.value for w in at.warning]
    assert ("Next try in" if lang == "en" else "뒤에 다시 연결해 봅니다") in said[0]
    executor = jobs._RUNNER.executor
    before = executor.state().since
    button = next(b for b in at.button if b.key == "teacher_cluster_retry")
    assert button.label == ("Try to connect now" if lang == "en" else "지금 다시 연결하기")
    button.click()
    at.run()
    wait_for(lambda: executor.state().since > before, 30)   # tried again at once, not in 60 s
    assert executor.state().state == "unreachable"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_while_it_first_connects_the_notice_says_where_a_run_goes(lang, monkeypatch):
    """Before the first answer, a run started with the local fallback trains here (ClusterExecutor.run):
    the notice says so, not that it waits in the queue; without the fallback it waits."""
    from resnet_core.jobs.cluster import ClusterState
    from ui.page import i18n as ui_i18n
    from ui.training.cluster import connecting_text

    monkeypatch.setattr(ui_i18n, "lang", lambda: lang)
    local, waits = (connecting_text(ClusterState(ADDRESS, "connecting", fallback=f, waiting=not f))
                    for f in ("local", ""))
    if lang == "en":
        assert "train on this server instead" in local and "wait in the queue" not in local
        assert "wait in the queue until it answers" in waits
    else:
        assert "이 서버에서 대신 진행합니다" in local and "대기열" not in local
        assert "연결될 때까지 대기열에서 기다립니다" in waits
