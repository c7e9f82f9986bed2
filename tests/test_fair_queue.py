"""The scheduling policy alone, without threads or a store: turns, limits and pausing."""

from types import SimpleNamespace

import pytest

from resnet_core.jobs.fair_queue import FairQueue, OwnerLimit, Paused, QueueFull


def job(job_id, owner):
    return SimpleNamespace(job_id=job_id, owner=owner)


def test_owners_are_served_in_turn_each_in_submission_order():
    q = FairQueue(max_queue=10, per_owner=10)
    for j in [job(1, "ana"), job(2, "ana"), job(3, "ana"), job(4, "bob"), job(5, "cy"), job(6, "bob")]:
        q.add(j)
    assert [j.job_id for j in q.order()] == [1, 4, 5, 2, 6, 3]
    assert q.take().job_id == 1
    # ana was just served: a new job of hers waits behind bob's and cy's.
    q.add(job(7, "ana"))
    assert [j.job_id for j in q.order()] == [4, 5, 2, 6, 3, 7]
    assert q.position(q.order()[2]) == 3 and len(q) == 6


def test_a_new_class_forgets_who_was_served():
    q = FairQueue(max_queue=10, per_owner=10)
    q.add(job(1, "ana"))
    q.take()
    q.add(job(2, "bob"))
    q.add(job(3, "ana"))
    q.forget_turns()
    assert [j.job_id for j in q.order()] == [2, 3]   # nobody served: submission order


def test_limits_refuse_before_anything_waits():
    q = FairQueue(max_queue=3, per_owner=2)
    q.admit(2, "ana")
    q.add(job(1, "ana"))
    q.add(job(2, "ana"))
    with pytest.raises(OwnerLimit, match="2 runs waiting"):
        q.admit(1, "ana")
    q.admit(1, "")                                  # no owner named: only the queue's size counts
    with pytest.raises(QueueFull, match="2 of 3 places"):
        q.admit(2, "bob")
    q.paused = "Eyes on the projector"
    with pytest.raises(Paused, match="Eyes on the projector"):
        q.admit(1, "bob")
    assert q.waiting_for("ana") == 2 and q.waiting_for("bob") == 0


def test_limits_below_one_are_refused():
    with pytest.raises(ValueError):
        FairQueue(max_queue=0, per_owner=1)
