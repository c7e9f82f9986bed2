"""Queueing jobs: a part of resnet_core.jobs.runner.JobRunner, kept apart because it is how a
request becomes queued jobs (checked, priced, shared with an equal run, admitted as a group), not
how the queue hands them to workers. It uses the runner's lock, queue, store and jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from resnet_core.data.datasets import check_compatible
from resnet_core.jobs import sharing
from resnet_core.jobs.worker import Control, JobSpec
from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.store.schema import experiment_id
from resnet_core.training import memory
from resnet_core.training.costs import device_kind


@dataclass
class Entry:
    """A job as the runner keeps it: its spec, whose it is, and where it stands."""
    job_id: int
    spec: JobSpec
    owner: str
    label: str
    group: str
    status: str = "queued"
    error: str = ""
    control: Control = field(default_factory=Control)


class Submitting:
    def submit(self, model_cfg: ModelConfig, train_cfg: TrainConfig, *, owner: str = "",
               label: str = "", group: str = "", display_name: str = "", teacher: bool = False) -> int:
        return self.submit_many([(label, model_cfg, train_cfg)], owner=owner, group=group,
                                display_name=display_name, teacher=teacher)[0]

    def submit_many(self, runs: Sequence[tuple[str, ModelConfig, TrainConfig]], *, owner: str = "",
                    group: str = "", display_name: str = "", teacher: bool = False,
                    share: bool = False) -> list[int]:
        """Queue several runs (label, model config, train config) together, or none of them.
        They form one experiment: they share one experiment id (the first run's,
        resnet_core.store.schema.experiment_id), so a page finds them again as one;
        `display_name` is the owner's name as they gave it, kept beside the label, not in it.
        `teacher`: the caller has checked the teacher's key; those runs are not held by a pause.
        `share`: a run equal to one queued, running or finished (resnet_core.jobs.sharing) is
        served by that one: its id is returned and no queue place is taken; only the others are
        queued (and only they can be refused)."""
        for _, model_cfg, train_cfg in runs:
            check_compatible(model_cfg, train_cfg)   # a bad pairing fails here, not in a worker
        runs = [(label, m, self._on_device(tc)) for label, m, tc in runs]
        # Every run's cost before any is queued: one too long refuses the group (RunTooLong).
        costs = [self.estimator.check(m, tc, self.runs_on, self.max_run_seconds, label) for label, m, tc in runs]
        for _, m, tc in runs:   # and its memory: one that cannot fit refuses the group (RunTooBig)
            self.check_memory(m, tc)
        # Ids follow the given order (pages list runs by id); the queue takes the group longest
        # first, so the short runs fill the gaps at the end instead of a long one starting last
        # (four degradation nets on two workers: ~26 s instead of ~33 s).
        longest_first = sorted(range(len(runs)), key=lambda i: -costs[i].seconds)

        keys = [sharing.run_key(m, tc) for _, m, tc in runs]
        with self._lock:   # no two equal requests both find nothing and both queue
            served = [sharing.find(self.store, k) if share else None for k in keys]
            fresh = [i for i, rid in enumerate(served) if rid is None]
            sharing.attach(self.store, owner, [rid for rid in served if rid is not None])
            if not fresh:
                return [int(rid) for rid in served]

            def create() -> list:
                made, experiment = [], None
                for i in fresh:
                    (label, m, tc), est = runs[i], costs[i]
                    run_id = self.store.create_run(m, tc, owner=owner, label=label, group=group,
                                                   estimate_s=est.seconds, guess_s=est.base_seconds,
                                                   experiment=experiment, display_name=display_name)
                    sharing.remember(self.store, run_id, keys[i])
                    experiment = experiment or experiment_id(run_id)
                    made.append((run_id, label, m, tc, "train", {}))
                return made

            order = [fresh.index(i) for i in longest_first if i in fresh]
            made = iter(self._enqueue(len(fresh), owner, create, group, queue_order=order, teacher=teacher))
        return [int(rid) if rid is not None else next(made) for rid in served]

    def submit_task(self, name: str, params: dict, *, owner: str = "", label: str = "", group: str = "",
                    model_cfg: ModelConfig | None = None, train_cfg: TrainConfig | None = None,
                    display_name: str = "", teacher: bool = False) -> int:
        """Queue an analysis task (resnet_core.jobs.tasks.TASKS[name]); its result is read with
        `store.result(id)` once it has finished."""
        from resnet_core.jobs.tasks import TASKS

        if name not in TASKS:
            raise ValueError(f"unknown task {name!r} (known: {', '.join(sorted(TASKS))})")
        m, tc = model_cfg or ModelConfig(), self._on_device(train_cfg or TrainConfig())
        if params.get("device", "auto") == "auto" and self.device != "auto":
            params = {**params, "device": self.device}   # RESNET_EXPLORER_DEVICE holds for studies too
        return self._enqueue(1, owner, lambda: [
            (self.store.create_task(name, params, m, tc, owner=owner, label=label, group=group,
                                    display_name=display_name),
             label, m, tc, name, params)], group, teacher=teacher)[0]

    def check_memory(self, model_cfg: ModelConfig, train_cfg: TrainConfig) -> memory.MemoryEstimate | None:
        """The run's memory estimate against the room one run gets on the device its executor
        gives it (resnet_core.training.memory); RunTooBig when it cannot fit. None where the
        executor cannot say what room a run gets (a Ray cluster: its workers check at the start)."""
        kind = device_kind(train_cfg.device if train_cfg.device != "auto" else self.runs_on)
        room_of = getattr(self.executor, "run_memory", None)
        room = memory.fixed_room()
        if room is None and room_of is not None:
            room = room_of(kind)
        if room is None:
            return None
        return memory.check(model_cfg, train_cfg, room=room, device=kind, bf16=memory.runs_in_bf16(kind))

    def _on_device(self, train_cfg: TrainConfig) -> TrainConfig:
        if train_cfg.device == "auto" and self.device != "auto":
            return train_cfg.replace(device=self.device)
        return train_cfg

    def _enqueue(self, count: int, owner: str, create: Callable[[], list], group: str,
                 queue_order: Sequence[int] | None = None, teacher: bool = False) -> list[int]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner has been shut down")
            self._queue.admit(count, owner, teacher=teacher)
            entries = []
            for run_id, label, m, tc, kind, params in create():
                spec = JobSpec(run_id, str(self.store.path), m, tc, kind, params)
                entry = Entry(run_id, spec, owner, label, group)
                self._jobs[run_id] = entry
                entries.append(entry)
            for i in queue_order if queue_order is not None else range(len(entries)):
                self._queue.add(entries[i])
            ids = [e.job_id for e in entries]
            self._ensure_threads()
            self._lock.notify_all()
        return ids
