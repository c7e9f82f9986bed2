"""Training in worker processes: the same losses as in this process, a killed worker fails only
its own run and is replaced, cancel reaches another process, fair turns between owners, the
per-owner cap, and only the owner stops a run."""

import os
import signal
import threading

import pytest
from test_jobs import Gate, wait_for

from resnet_core import arch_config
from resnet_core.jobs.executors import InProcess, ProcessPool, exit_reason
from resnet_core.jobs.runner import JobRunner, NotOwner, OwnerLimit, QueueFull
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training.engine import train

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=12, batch_size=32, device="cpu")
LONG = TRAIN.replace(steps=100_000)


@pytest.fixture(scope="module")
def pool():
    """Two worker processes for the whole module: starting one costs seconds (it imports torch)."""
    p = ProcessPool(2)
    yield p
    p.shutdown()


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


@pytest.fixture
def runner(store, pool):
    r = JobRunner(store, max_queue=6, executor=pool)
    yield r
    for job in list(r._jobs):
        r.cancel(job)
    for job in list(r._jobs):
        r.wait(job, timeout=60)
    r._closed = True          # stop the dispatchers but keep the module's pool
    with r._lock:
        r._lock.notify_all()


def test_a_worker_process_gives_the_same_losses_as_this_process(runner, store):
    job = runner.submit(MODEL, TRAIN)
    assert runner.wait(job, timeout=120) == "finished"
    here = train(MODEL, TRAIN)
    assert store.steps(job).loss == pytest.approx([r.loss for r in here.history], abs=0, rel=0)
    assert store.get_run(job).test_acc == pytest.approx(here.test_acc)
    assert store.get_run(job).has_checkpoint


def test_jobs_train_in_other_processes(runner, store, pool):
    job = runner.submit(MODEL, TRAIN)
    assert runner.wait(job, timeout=120) == "finished"
    with store._conn() as conn:
        (pid,), = conn.execute("SELECT pid FROM runs WHERE id=?", (job,)).fetchall()
    assert pid != os.getpid() and pid in pool.pids()


def test_a_worker_trains_the_digits_without_loading_scikit_learn(runner, store, pool):
    """Importing scikit-learn (and scipy with it) cost each worker's start a second of CPU; the
    digits are read from its file instead. The worker's memory map shows what it loaded."""
    job = runner.submit(MODEL, TRAIN)
    assert runner.wait(job, timeout=120) == "finished"
    with store._conn() as conn:
        (pid,), = conn.execute("SELECT pid FROM runs WHERE id=?", (job,)).fetchall()
    with open(f"/proc/{pid}/maps") as f:
        loaded = f.read()
    assert "/torch/" in loaded
    assert "/sklearn/" not in loaded and "/scipy/" not in loaded


def test_a_killed_worker_fails_its_run_and_is_replaced(runner, store, pool):
    job = runner.submit(MODEL, LONG)
    wait_for(lambda: store.get_run(job).steps_done >= 2)
    with store._conn() as conn:
        (pid,), = conn.execute("SELECT pid FROM runs WHERE id=?", (job,)).fetchall()
    os.kill(pid, signal.SIGKILL)
    assert runner.wait(job, timeout=60) == "failed"
    info = store.get_run(job)
    assert info.status == "failed" and "signal 9" in info.error and "SIGKILL" in info.error
    assert pid not in pool.pids() and len(pool.pids()) == 2
    after = runner.submit(MODEL, TRAIN)       # the server keeps serving
    assert runner.wait(after, timeout=120) == "finished"


def test_cancel_reaches_a_run_in_another_process(runner, store):
    job = runner.submit(MODEL, LONG, owner="ana")
    wait_for(lambda: store.get_run(job).steps_done >= 2)
    assert runner.cancel(job, owner="ana")
    assert runner.wait(job, timeout=60) == "cancelled"
    info = store.get_run(job)
    assert info.status == "cancelled" and 2 <= info.steps_done < LONG.steps


def test_a_full_queue_of_the_pool_refuses_all_or_nothing(runner, store):
    busy = [runner.submit(MODEL, LONG, owner=f"s{i}") for i in range(2)]
    wait_for(lambda: all(store.get_run(j).status == "running" for j in busy))
    waiting = [runner.submit(MODEL, TRAIN, owner=f"w{i}") for i in range(6)]
    before = len(store.list_runs())
    with pytest.raises(QueueFull, match="6 of 6"):
        runner.submit_many([("a", MODEL, TRAIN), ("b", MODEL, TRAIN)], owner="late")
    assert len(store.list_runs()) == before
    for job in busy:
        runner.cancel(job)
    assert [runner.wait(j, timeout=180) for j in waiting] == ["finished"] * 6


def test_an_idle_worker_that_died_is_replaced_before_the_next_job(store, pool):
    runner = JobRunner(store, executor=pool)
    victim = pool._idle.queue[0]
    victim.proc.kill()
    victim.proc.wait()
    try:
        jobs = [runner.submit(MODEL, TRAIN) for _ in range(2)]
        assert [runner.wait(j, timeout=120) for j in jobs] == ["finished", "finished"]
    finally:
        runner._closed = True
        with runner._lock:
            runner._lock.notify_all()


def test_exit_reasons_name_the_signal_and_read_in_korean():
    assert "SIGKILL" in exit_reason(-9) and "memory" in exit_reason(-9)
    assert "exit code 3" in exit_reason(3)
    from resnet_core.messages import identify
    from resnet_core.text import render
    from ui.page.i18n import table

    code, values = identify(exit_reason(-9))
    assert code == "worker_killed" and render(table()["err.worker_killed"]["ko"], "ko", **values) == \
        "학습 작업 프로세스가 신호 9(SIGKILL)로 멈춰 이 학습은 중단되었습니다 (대개 서버의 메모리가 모자랄 때 일어납니다)"
    assert identify(exit_reason(-15))[0] == "worker_signal" and identify(exit_reason(3))[0] == "worker_exit"


# --- fair turns, caps and owners (the scheduler; a stand-in engine in this process) -----------

def test_owners_take_turns(store):
    gate = Gate()
    runner = JobRunner(store, max_queue=32, per_owner=10, train_fn=gate)
    try:
        first = runner.submit(MODEL, TRAIN, owner="ana")
        wait_for(lambda: gate.started == [first])
        anas = runner.submit_many([(f"a{i}", MODEL, TRAIN) for i in range(9)], owner="ana")
        bobs = runner.submit(MODEL, TRAIN, owner="bob")
        assert runner.job(bobs).position == 1            # not behind ana's nine
        assert [runner.job(j).position for j in anas[:2]] == [2, 3]
        gate.release.set()
        for job in anas + [bobs]:
            runner.wait(job, timeout=30)
        assert gate.started[:2] == [first, bobs]        # bob's first run started second
        assert gate.started[2:] == anas
    finally:
        gate.release.set()
        runner.shutdown()


def test_three_owners_interleave(store):
    gate = Gate()
    runner = JobRunner(store, per_owner=8, train_fn=gate)
    try:
        hold = runner.submit(MODEL, TRAIN, owner="teacher")
        wait_for(lambda: gate.started == [hold])
        ids = {who: runner.submit_many([(who, MODEL, TRAIN)] * 3, owner=who) for who in ("a", "b", "c")}
        gate.release.set()
        for group in ids.values():
            for job in group:
                runner.wait(job, timeout=30)
        owner_of = {j: who for who, group in ids.items() for j in group}
        assert [owner_of[j] for j in gate.started[1:]] == ["a", "b", "c"] * 3
    finally:
        gate.release.set()
        runner.shutdown()


def test_one_owner_may_not_fill_the_queue(store):
    gate = Gate()
    runner = JobRunner(store, max_queue=32, per_owner=8, train_fn=gate)
    try:
        runner.submit_many([("x", MODEL, TRAIN)] * 8, owner="ana")
        wait_for(lambda: len(gate.started) == 1)
        runner.submit(MODEL, TRAIN, owner="ana")            # one started: a place is free again
        before = len(store.list_runs())
        with pytest.raises(OwnerLimit, match="8 runs waiting") as err:
            runner.submit_many([("x", MODEL, TRAIN)] * 4, owner="ana")
        assert "8 waiting at most" in str(err.value) and len(store.list_runs()) == before
        assert runner.submit_many([("y", MODEL, TRAIN)] * 4, owner="bob")   # others still get in
    finally:
        gate.release.set()
        runner.shutdown()


def test_only_the_owner_or_the_teacher_stops_a_run(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana")
        waiting = runner.submit(MODEL, TRAIN, owner="ana")
        wait_for(lambda: gate.started == [running])
        for job in (running, waiting):
            with pytest.raises(NotOwner):
                runner.cancel(job, owner="bob")
        assert runner.job(running).status == "running" and runner.job(waiting).status == "queued"
        assert runner.cancel(waiting, owner="ana") and runner.job(waiting).status == "cancelled"
        assert runner.cancel(running)                       # no owner given: the teacher
        assert runner.wait(running, timeout=10) == "cancelled"
    finally:
        gate.release.set()
        runner.shutdown()


def test_sixty_students_each_press_train_all_four(store):
    """All at once: every run is accepted and finishes, or is refused with a message; none is
    lost or left waiting."""
    gate = Gate()
    gate.release.set()
    runner = JobRunner(store, max_queue=32, per_owner=8, train_fn=gate, executor=InProcess(slots=2, train_fn=gate))
    accepted, refused, errors = [], [], []

    def student(i: int) -> None:
        try:
            accepted.extend(runner.submit_many([(f"net{k}", MODEL, TRAIN) for k in range(4)],
                                               owner=f"student{i}", group=f"degradation-{i}"))
        except QueueFull as err:
            refused.append(str(err))
        except Exception as err:   # anything else is a defect
            errors.append(err)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(60)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    try:
        assert not errors
        assert len(accepted) + 4 * len(refused) == 240 and accepted
        assert all("queue has no room" in msg for msg in refused)
        assert [runner.wait(j, timeout=60) for j in accepted] == ["finished"] * len(accepted)
        assert runner.queue_length() == 0
        assert {r.status for r in store.list_runs(limit=1000)} <= {"finished", "running"}
        assert len(store.list_runs(limit=1000)) == len(accepted)   # refused groups left nothing behind
    finally:
        runner.shutdown()
