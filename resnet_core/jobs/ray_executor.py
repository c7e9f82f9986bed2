"""The Ray executor: jobs run as Ray actors on a cluster, metrics stream back to this process.

Chosen by configuration (resnet_core.jobs.executors.default_executor reads RESNET_EXPLORER_RAY_ADDRESS;
the CLI has --backend ray), and only then is ray imported, so a laptop needs nothing new.

Each job runs in an actor (resnet_core.jobs.ray_remote.RemoteRunner) asking for a share of a GPU when
the run wants CUDA (RESNET_EXPLORER_RAY_GPU_SHARE, default 0.5) and one CPU otherwise. The actor
runs the local pool's own `run_job`, so a run is the same run on either backend; its store
writes come back as messages that `run` replays on the app's RunStore: this process alone
writes SQLite and the checkpoint files, so the pages do not change. Idle actors are kept for
the next job with the same request (torch takes seconds to import). A Stop reaches the actor
within a step. An actor or node that is lost fails its run with the reason and is dropped;
the other runs go on. The job queue and its bound stay the JobRunner's.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

from resnet_core import settings
from resnet_core.messages import ClusterNoAnswer, message
from resnet_core.jobs.ray_remote import WRITES, RemoteRunner
from resnet_core.jobs.worker import Control, JobSpec

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parents[1]   # resnet_core/, shipped whole to Ray workers
POLL_SECONDS = 0.25      # one poll waits this long for news: a live chart is at most ~0.5 s behind
PROBE_SECONDS = 5.0      # a cluster's port that does not take a connection in this long is not there
LOCAL_CPUS = 2           # a Ray instance started for one command (the CLI without --ray-address)
LOST_HINT = {   # Ray's error -> the code of our sentence for it (resnet_core/messages.py)
    "NodeDiedError": "ray_node_died",
    "OutOfMemoryError": "ray_oom",
    "ActorUnschedulableError": "ray_unschedulable",
    "RuntimeEnvSetupError": "ray_env",
}


def lost_reason(err: BaseException) -> str:
    """A one-line reason for a lost worker or node, in words a student can act on; Ray's own
    words follow in brackets. A template, so a Korean page says it in Korean."""
    name = type(err).__name__
    detail = " ".join(str(err).split())[:300]
    return message(LOST_HINT.get(name, "ray_lost"), detail=f"{name}: {detail}" if detail else name)


class RayExecutor:
    """`address`: None starts a local Ray instance (unless this process is already connected),
    "auto" joins the cluster of this machine, "ray://host:10001" a remote one through Ray Client.
    `slots`: jobs handed to Ray at once (RESNET_EXPLORER_RAY_SLOTS; default: what the cluster's
    GPUs or CPUs hold)."""

    def __init__(self, address: str | None = None, *, slots: int | None = None,
                 gpu_share: float | None = None, num_cpus: int = LOCAL_CPUS,
                 poll_seconds: float = POLL_SECONDS):
        if address:
            probe(address)   # before importing ray: a port with nothing behind it is said at once
        import ray  # here, not at the top: only a server that chose Ray needs it

        _no_auto_start(ray)
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            logs = settings.ray_logs()
            if address:
                use_token_if_present()
                ray.init(address=address, runtime_env=_runtime_env(), log_to_driver=logs)
            else:
                # Workers would print into a CLI's --json output; a run's error says what failed.
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=logs)
        self.address = address or "local"
        self.poll_seconds = poll_seconds
        self.gpu_share = gpu_share or settings.ray_gpu_share()
        if not 0 < self.gpu_share <= 1:
            raise ValueError(f"the GPU share of a run must be above 0 and at most 1 (got {self.gpu_share})")
        try:
            self.slots = slots or settings.ray_slots() or self._default_slots()
        except Exception:   # connected, then lost at once: the next attempt starts clean
            if self._owns:
                ray.shutdown()
            raise
        # max_concurrency: a poll waits in one thread while a stop comes in on another.
        self._actor_class = ray.remote(max_concurrency=4)(RemoteRunner)
        self._lock = threading.Lock()
        self._idle: dict[tuple, list] = {}
        self._running: dict[int, tuple[object, int]] = {}
        self._stores: dict[str, object] = {}
        self._closed = False

    def _gpus(self) -> float:
        return float(self._ray.cluster_resources().get("GPU", 0))

    @property
    def device(self) -> str:
        """What its runs get: "cuda" when the cluster has GPUs (a CPU-only web server in front
        of a GPU cluster prices runs at GPU speed), else "cpu"."""
        try:
            return "cuda" if self._gpus() > 0 else "cpu"
        except Exception:   # the connection went: the caller prices as it would without one
            return "auto"

    def _default_slots(self) -> int:
        gpus = self._gpus()
        if gpus:
            return max(1, int(gpus / self.gpu_share))
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    # --- actors ---------------------------------------------------------------------------

    def request(self, spec: JobSpec) -> dict:
        """The resources a job asks Ray for."""
        device = spec.train_cfg.device
        if spec.kind != "train":
            device = str(spec.params.get("device", device))
        if device == "cuda" or (device == "auto" and self._gpus() > 0):
            # num_cpus=0: a GPU run is counted by its GPU share, not against the CPU runs.
            return {"num_gpus": self.gpu_share, "num_cpus": 0}
        return {"num_cpus": 1}

    def _acquire(self, key: tuple):
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        return self._actor_class.options(**dict(key)).remote()

    def _release(self, actor, key: tuple, healthy: bool) -> None:
        with self._lock:
            keep = healthy and not self._closed and sum(map(len, self._idle.values())) < self.slots
            if keep:
                self._idle.setdefault(key, []).append(actor)
        if not keep:
            self._kill(actor)

    def _kill(self, actor) -> None:
        try:
            self._ray.kill(actor, no_restart=True)
        except Exception:   # already gone
            log.debug("could not kill a Ray actor", exc_info=True)

    def alive(self) -> bool:
        """Whether this process is still connected to the cluster. A Ray Client that lost its
        server says so (after RAY_CLIENT_RECONNECT_GRACE_PERIOD, default 30 s, of retrying)."""
        try:
            if self.address.startswith("ray://"):
                return bool(self._ray.util.client.ray.is_connected())
            return bool(self._ray.is_initialized())
        except Exception:
            return False

    def running(self) -> dict[int, tuple[object, int]]:
        """run id -> (actor handle, worker process id) of the jobs running now."""
        with self._lock:
            return dict(self._running)

    # --- the executor interface -------------------------------------------------------------

    def run(self, spec: JobSpec, control: Control) -> tuple[str, str]:
        ray = self._ray
        store = self._store(spec.db_path)
        req = self.request(spec)
        if req.get("num_gpus") and self._gpus() < req["num_gpus"]:
            # Ray would keep such an actor pending for ever; say why instead.
            return "failed", message("ray_no_gpu")
        snapshot = _snapshot(store, spec) if spec.kind != "train" else {}
        key = tuple(sorted(req.items()))
        actor, healthy = self._acquire(key), False
        try:
            pid = ray.get(actor.start.remote(spec, snapshot))
            with self._lock:
                self._running[spec.run_id] = (actor, pid)
            control.on_stop(lambda: actor.stop.remote())
            while True:
                for msg in ray.get(actor.poll.remote(self.poll_seconds)):
                    if msg[0] == "done":
                        healthy = True
                        return msg[1], msg[2]
                    _replay(store, msg)
        except _lost_errors(ray) as err:
            reason = lost_reason(err)
            log.error("run %s on Ray: %s", spec.run_id, reason)
            return "failed", reason
        finally:
            with self._lock:
                self._running.pop(spec.run_id, None)
            self._release(actor, key, healthy)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            idle = [a for actors in self._idle.values() for a in actors]
            self._idle.clear()
        for actor in idle:
            self._kill(actor)
        if self._owns:   # a Ray Client that lost its server says it is not initialized, yet must be shut
            self._ray.shutdown()

    def _store(self, path: str):
        from resnet_core.store.runs import RunStore  # one per database: its connections are per thread anyway

        with self._lock:
            if path not in self._stores:
                self._stores[path] = RunStore(path)
            return self._stores[path]


def _lost_errors(ray) -> tuple[type[BaseException], ...]:
    ex = ray.exceptions
    # RayActorError covers ActorDiedError and ActorUnavailableError. A RayTaskError is not here:
    # the actor catches its job's own errors and reports them as the run's failure.
    return tuple(getattr(ex, n) for n in ("RayActorError", "WorkerCrashedError", "NodeDiedError",
                                          "ObjectLostError", "OwnerDiedError", "OutOfMemoryError",
                                          "ActorUnschedulableError", "LocalRayletDiedError",
                                          "RuntimeEnvSetupError")
                 if hasattr(ex, n))


def _replay(store, msg) -> None:
    """Apply one of the worker's store writes to the real store."""
    name, args, kwargs = msg
    if name not in WRITES:
        raise ValueError(f"a Ray worker asked for an unknown store write {name!r}")
    getattr(store, name)(*args, **kwargs)


def _snapshot(store, spec: JobSpec) -> dict:
    """The runs an analysis task studies: their rows and checkpoint bytes, sent with the job."""
    from resnet_core.store.schema import RunNotFound

    out = {}
    ids = spec.params.get("run_ids") or []
    for rid in ids if isinstance(ids, (list, tuple)) else []:
        try:
            info = store.get_run(int(rid))
        except (RunNotFound, TypeError, ValueError):
            continue   # the task itself says which id is wrong
        data = store.checkpoint_bytes(info.id) if info.has_checkpoint else None
        out[info.id] = (info, data)
    return out


def probe(address: str, timeout: float = PROBE_SECONDS) -> None:
    """Raise ClusterNoAnswer (a ConnectionError) at once when nothing listens at a ray://host:port (or host:port)
    address: Ray Client would retry for 30 s before saying "connection timeout". `auto` finds
    this machine's cluster itself and fails fast when there is none."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        why = err.strerror or type(err).__name__
        raise ClusterNoAnswer(target, why) from None


def _no_auto_start(ray) -> None:
    """A call after a lost Ray Client connection must fail, not do what Ray does for a call
    before any `ray.init`: connect to the cluster this machine last started (measured: the run's
    thread then waited minutes for that cluster's dead GCS) or start one in the web server."""
    try:
        from ray._private import auto_init_hook

        auto_init_hook.enable_auto_connect = False   # read from RAY_ENABLE_AUTO_CONNECT at import
    except ImportError:
        log.debug("this Ray has no auto-init switch", exc_info=True)


def use_token_if_present() -> bool:
    """Ray 2.60's `ray start --head` asks for a token whenever ~/.ray/auth_token exists, but a
    Ray Client sends its token only with RAY_AUTH_MODE=token (without it the connection times
    out after 30 s). So, as Ray itself does for `auto`: with a token at hand (the file,
    RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH) and no mode chosen, choose token. A head without
    authentication takes such a client too. True when token mode is on."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available)
    except ImportError:   # a Ray without token authentication
        return False
    return maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def _runtime_env() -> dict:
    """What a cluster's workers get from the app: this package, so they run the app's code
    (RESNET_EXPLORER_RAY_SHIP_CODE=0 when the workers have the repository on PYTHONPATH)."""
    if not settings.ray_ship_code():
        return {}
    return {"py_modules": [str(PACKAGE_DIR)]}
