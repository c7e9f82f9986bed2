"""One run for the whole class (resnet_core.jobs.sharing): requests equal to a queued, running or
finished run are served by it and take no queue place; a different request, or one after a
cancelled run, queues its own; the teacher's runs go in while the class is paused."""

import threading

import pytest

from resnet_core import arch_config
from resnet_core.jobs import sharing
from resnet_core.jobs.runner import JobRunner, Paused, QueueFull
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training.experiments import degradation_configs

from test_jobs import Gate, wait_for

pytestmark = pytest.mark.usefixtures("one_thread")

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=6, batch_size=32, device="cpu")


@pytest.fixture
def gated(tmp_path):
    """The server's limits (32 places, 8 per student); runs wait at a gate instead of training."""
    gate = Gate()
    runner = JobRunner(RunStore(tmp_path / "runs.db"), train_fn=gate, max_run_seconds=None)
    yield runner, gate
    gate.release.set()
    runner.shutdown(timeout=30)


def test_the_key_is_the_configuration_and_nothing_else():
    (_, m, tc), = degradation_configs(steps=300)[:1]
    assert sharing.run_key(m, tc) == sharing.run_key(m.replace(), tc.replace())
    assert sharing.run_key(m, tc) != sharing.run_key(m, tc.replace(seed=1))
    assert sharing.run_key(m, tc) != sharing.run_key(m, tc.replace(dataset="shapes"))
    assert sharing.run_key(m, tc) != sharing.run_key(m, tc.replace(lr=0.05))              # the recipe
    assert sharing.run_key(m, tc) != sharing.run_key(m.replace(depth=32), tc)
    assert sharing.run_key(m, tc) != sharing.run_key(m, tc, kind="lesion")


def test_fifty_students_pressing_train_all_four_queue_four_runs_and_none_is_refused(gated):
    runner, gate = gated
    plan = degradation_configs("digits", steps=300, seed=0)      # the Degradation page's defaults
    got, refused, start = {}, [], threading.Barrier(50)

    def press(i: int) -> None:
        start.wait()
        try:
            got[i] = runner.submit_many(plan, owner=f"student{i:02d}", group="degradation", share=True)
        except QueueFull as exc:
            refused.append(exc)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert refused == [] and len(got) == 50
    ids = got[0]
    assert len(set(ids)) == 4 and all(g == ids for g in got.values())
    runs = runner.store.list_runs()
    assert sorted(r.id for r in runs) == sorted(ids)
    assert [r.label for r in sorted(runs, key=lambda r: r.id)] == [label for label, _, _ in plan]
    owners = {r.owner for r in runs}
    assert len(owners) == 1 and owners <= {f"student{i:02d}" for i in range(50)}   # whoever came first
    # A job the worker thread has taken from the queue is counted once its gate is reached.
    wait_for(lambda: runner.queue_length() + len(gate.started) == 4, timeout=10)

    # Another seed is another experiment: it takes places of its own, and the queue limits apply.
    other = runner.submit_many(degradation_configs("digits", steps=300, seed=1), owner="student00",
                               group="degradation", share=True)
    assert not set(other) & set(ids)
    wait_for(lambda: runner.queue_length() + len(gate.started) == 8, timeout=10)
    # Without share (the command line, the tests), equal requests are queued again.
    assert runner.submit_many(plan[:1], owner="cli", share=False)[0] not in ids


def test_part_of_a_group_is_served_and_only_the_rest_is_queued(gated):
    runner, _ = gated
    plan = degradation_configs("digits", steps=150, seed=2)
    first = runner.submit_many(plan[:2], owner="ana", share=True)
    both = runner.submit_many(plan, owner="bob", share=True)
    assert both[:2] == first and not set(both[2:]) & set(first)
    assert [runner.store.get_run(i).owner for i in both] == ["ana", "ana", "bob", "bob"]
    assert sharing.watched(runner.store, "bob") == sorted(first, reverse=True)      # served: counted as bob's
    assert sharing.watched(runner.store, "bob", group="other") == [] and sharing.watched(runner.store, "ana") == []
    assert runner.store.get_run(both[2]).experiment == runner.store.get_run(both[3]).experiment


def test_a_finished_run_serves_and_a_cancelled_one_does_not(tmp_path):
    runner = JobRunner(RunStore(tmp_path / "runs.db"), max_queue=4)
    try:
        done = runner.submit(MODEL, TRAIN, owner="ana", label="tiny")
        assert runner.wait(done, timeout=180) == "finished"
        again = runner.submit_many([("tiny", MODEL, TRAIN)], owner="bob", share=True)
        assert again == [done] and len(runner.store.list_runs()) == 1          # served at once, trained once

        runner.pause("eyes on the projector")
        with pytest.raises(Paused):
            runner.submit_many([("tiny", MODEL, TRAIN.replace(seed=5))], owner="bob", share=True)
        # Asking for what already exists takes no place, so a pause does not hold it either.
        assert runner.submit_many([("tiny", MODEL, TRAIN)], owner="cem", share=True) == [done]
        mine = runner.submit_many([("tiny", MODEL, TRAIN.replace(seed=5))], owner="teach", teacher=True, share=True)
        runner.cancel(mine[0])
        assert runner.wait(mine[0], timeout=120) == "cancelled"
        runner.resume()
        anew = runner.submit_many([("tiny", MODEL, TRAIN.replace(seed=5))], owner="bob", share=True)
        assert anew != mine                                    # a cancelled run serves nobody
    finally:
        runner.shutdown(timeout=60)


def test_the_teacher_runs_while_the_class_is_paused(gated):
    runner, gate = gated
    runner.pause("watch the projector")
    with pytest.raises(Paused, match="watch the projector"):
        runner.submit(MODEL, TRAIN, owner="student")
    with pytest.raises(Paused):
        runner.submit_task("lesion", {"run_ids": [1]}, owner="student")
    demo = runner.submit_many([("plain", MODEL, TRAIN), ("res", MODEL, TRAIN.replace(seed=1))],
                              owner="teacher", teacher=True)
    wait_for(lambda: gate.started == [demo[0]])
    assert runner.job(demo[1]).status == "queued" and runner.paused == "watch the projector"
    assert runner.store.list_runs(owner="student") == []
