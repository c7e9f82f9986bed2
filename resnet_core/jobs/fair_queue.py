"""Who trains next: the waiting jobs, served owners in turn, with limits on what may wait.

In a classroom one student must not fill the queue, and a student's first run must not wait
behind another student's tenth. So a queue holds at most `max_queue` jobs, an owner at most
`per_owner` of them, nothing while the teacher has paused new runs, and the next job is the one whose owner was served longest ago (new owners
before anyone served), each owner's own jobs in the order they were added (a group submitted
together is added longest first, see JobRunner.submit_many).

The queue holds no lock: its owner (resnet_core.jobs.runner.JobRunner) calls it under its own.
"""

from __future__ import annotations

from typing import Protocol


class QueueFull(RuntimeError):
    """The queue cannot take the submitted runs; nothing was queued. `waiting` and `asked` are the
    numbers the check used (None where it was not a count): a page says those, not its own."""

    waiting: int | None = None
    asked: int | None = None


class OwnerLimit(QueueFull):
    """This owner already has as many runs waiting as one owner may; nothing was queued."""


class Paused(QueueFull):
    """The teacher has paused new runs; `message` is what the teacher told the class."""

    def __init__(self, message: str):
        super().__init__(f"new runs are paused: {message}" if message else "new runs are paused")
        self.message = message


class Waiting(Protocol):
    job_id: int
    owner: str


class FairQueue:
    def __init__(self, max_queue: int, per_owner: int):
        if max_queue < 1 or per_owner < 1:
            raise ValueError(f"max_queue and per_owner must be at least 1 (got {max_queue}, {per_owner})")
        self.max_queue, self.per_owner = max_queue, per_owner
        self.paused: str | None = None         # the teacher's message while new runs are paused
        self._waiting: list[Waiting] = []      # in submission order
        self._served: dict[str, int] = {}      # owner -> turn number of their last start
        self._turn = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def waiting_for(self, owner: str) -> int:
        return sum(1 for e in self._waiting if e.owner == owner)

    def admit(self, count: int, owner: str, *, teacher: bool = False) -> None:
        """Raise Paused, QueueFull or OwnerLimit unless `count` more jobs of `owner` may wait.
        The teacher's own runs go in while the class is paused: a pause is for demonstrating."""
        if self.paused is not None and not teacher:
            raise Paused(self.paused)
        waiting = len(self._waiting)
        if waiting + count > self.max_queue:
            # Not "full": the check is waiting + asked > places, so places may be free; and a place
            # frees when a waiting run starts (as runs.queue_full says on the page).
            full = QueueFull(
                f"the training queue has no room for this request ({waiting} of {self.max_queue} places "
                f"taken; this request needs {count}): try again when some of the waiting runs have started")
            full.waiting, full.asked = waiting, count
            raise full
        mine = self.waiting_for(owner)
        # An owner with no name (the CLI, a script) is one person at the server: no per-owner cap.
        if owner and mine + count > self.per_owner:
            # The check is mine + asked > limit: say all three (as runs.owner_limit on the page).
            limit = OwnerLimit(
                f"you have {mine} run{'' if mine == 1 else 's'} waiting and this would add {count}; one person "
                f"may have {self.per_owner} waiting at most: wait for some to start, or stop some")
            limit.waiting, limit.asked = mine, count
            raise limit

    def add(self, entry: Waiting) -> None:
        self._waiting.append(entry)

    def remove(self, entry: Waiting) -> None:
        self._waiting.remove(entry)

    def clear(self) -> list[Waiting]:
        """Take every waiting job off the queue; returns them."""
        waiting, self._waiting = self._waiting, []
        return waiting

    def order(self) -> list[Waiting]:
        """The waiting jobs in the order they will start."""
        served, order = dict(self._served), []
        pending = list(enumerate(self._waiting))   # (place in the order added, job)
        turn = self._turn
        while pending:
            nxt = min(pending, key=lambda p: (served.get(p[1].owner, -1), p[0]))
            pending.remove(nxt)
            order.append(nxt[1])
            turn += 1
            served[nxt[1].owner] = turn
        return order

    def position(self, entry: Waiting) -> int:
        """1 for the job that starts next."""
        return next(i + 1 for i, e in enumerate(self.order()) if e is entry)

    def take(self) -> Waiting:
        """Take the job that starts next off the queue and count its owner as served."""
        entry = self.order()[0]
        self._waiting.remove(entry)
        self._turn += 1
        self._served[entry.owner] = self._turn
        return entry

    def forget_turns(self) -> None:
        """A new class: nobody has been served yet."""
        self._served, self._turn = {}, 0
