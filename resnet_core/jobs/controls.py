"""What the teacher may do to the whole queue: pause new runs with a message, clear the waiting
runs, and start a new class with an empty store (the old one archived).

A part of resnet_core.jobs.runner.JobRunner, kept apart because it is the class's controls, not the
queue's own working; it uses the runner's lock, queue and jobs. The web page checks the teacher
key before it calls any of these.
"""

from __future__ import annotations

# The queue's own pause while a new class starts (not a teacher's words): pages say it in the
# reader's language (ui/users/follow.py).
NEW_CLASS = "a new class is starting"


class QueueControls:
    def pause(self, message: str = "") -> None:
        """Refuse new runs (Paused, carrying `message`) until `resume`; queued and running
        runs carry on."""
        with self._lock:
            self._queue.paused = message

    def resume(self) -> None:
        with self._lock:
            self._queue.paused = None

    def clear_queue(self, reason: str = "the teacher cleared the queue") -> int:
        """Cancel every waiting run (running ones carry on); returns how many."""
        with self._lock:
            waiting = self._queue.clear()
            for entry in waiting:
                entry.status = "cancelled"
                self.store.set_status(entry.job_id, "cancelled", reason)
            self._lock.notify_all()
        return len(waiting)

    def fresh_store(self, timeout: float = 30.0):
        """Start a new class: stop every run, archive the store to a timestamped copy beside it
        (resnet_core.store.archive) and go on with it empty. Returns the archive's path."""
        from resnet_core.store.archive import archive_and_clear

        with self._lock:
            paused_before, self._queue.paused = self._queue.paused, NEW_CLASS
            running = [e for e in self._jobs.values() if e.status == "running"]
        try:
            self.clear_queue("the teacher started a new class")
            for entry in running:
                entry.control.stop()
            for entry in running:
                self.wait(entry.job_id, timeout)
                # The archive should say how each run ended, even one that did not stop in time.
                if self.store.get_run(entry.job_id).status in ("queued", "running"):
                    self.store.set_status(entry.job_id, "cancelled", "the teacher started a new class")
            with self._lock:
                path = archive_and_clear(self.store)
                self._jobs = {i: e for i, e in self._jobs.items() if e.status in ("queued", "running")}
                self._queue.forget_turns()
        finally:
            with self._lock:
                self._queue.paused = paused_before
        return path
