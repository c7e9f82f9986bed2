"""Every setting a server reads from its environment, in one place, read when called.

Each ``RESNET_EXPLORER_*`` variable is one function below with its default, its type, the values
it may take and why it exists (the README's "Settings" table says the same). A function reads
``os.environ`` each time it is called, never at import: a test or a worker that sets a variable
sees it at once, and a forked worker needs nothing re-imported. A value that is not allowed raises
``ConfigError`` with a code and the values (``whole_range``, ``one_of``...), so the app and the
CLI say what is wrong in the reader's language instead of showing a traceback;
``problems()`` checks them all at once when a server starts.

    from resnet_core import settings
    settings.workers()        # None: one per core; 0: the server's own thread
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from resnet_core.messages import ConfigError

PREFIX = "RESNET_EXPLORER_"
CACHE = Path("~/.cache/resnet-explorer")
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    name: str          # without the prefix
    default: str       # as the README shows it
    allowed: str       # the values it may take
    why: str           # one line


SETTINGS: dict[str, Setting] = {}


def _setting(name: str, default: str, allowed: str, why: str) -> Callable:
    """Registers the function below it as the reader of RESNET_EXPLORER_<name>."""
    def register(read: Callable) -> Callable:
        SETTINGS[PREFIX + name] = Setting(name, default, allowed, why)
        read.env = PREFIX + name
        return read
    return register


def _text(name: str) -> str:
    return os.environ.get(PREFIX + name, "").strip()


def _whole(name: str, default: int | None, low: int, high: int) -> int | None:
    text = _text(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigError(code="whole_range", name=PREFIX + name, low=low, high=high, value=repr(text))
    return value


def _number(name: str, default: float | None, low: float, high: float) -> float | None:
    text = _text(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:           # nan fails both
        raise ConfigError(code="range", name=PREFIX + name, low=f"{low:g}", high=f"{high:g}", value=repr(text))
    return value


def _choice(name: str, default: str, options: tuple[str, ...]) -> str:
    text = _text(name).lower()
    if not text:
        return default
    if text not in options:
        raise ConfigError(code="one_of", name=PREFIX + name, options=", ".join(options), value=repr(text))
    return text


def _switch(name: str, default: bool) -> bool:
    text = _text(name).lower()
    if not text:
        return default
    if text in _YES or text in _NO:
        return text in _YES
    raise ConfigError(code="one_of", name=PREFIX + name, options="1, 0", value=repr(text))


def _path(name: str, default: Path) -> Path:
    return Path(_text(name) or default).expanduser()


# --- where things are kept -------------------------------------------------------------------

@_setting("DB", "~/.cache/resnet-explorer/runs.db", "a file path",
          "the run store (one per class); checkpoints sit in a folder beside it")
def db_path() -> Path:
    return _path("DB", CACHE / "runs.db")


@_setting("DATA", "~/.cache/resnet-explorer/data", "a folder path",
          "where datasets are downloaded and read, in torchvision's layout")
def data_dir() -> Path:
    return _path("DATA", CACHE / "data")


@_setting("MAX_CHECKPOINT_MB", "2048", "0 to 10,000,000 (0: no bound)",
          "keeps a day of a class's checkpoints within the disk")
def max_checkpoint_mb() -> float:
    return _number("MAX_CHECKPOINT_MB", 2048.0, 0.0, 1e7)


# --- the training workers --------------------------------------------------------------------

@_setting("WORKERS", "one per core; GPU_WORKERS per GPU", "0 to 1024 (0: the server's own thread)",
          "how many runs train side by side")
def workers() -> int | None:
    return _whole("WORKERS", None, 0, 1024)


@_setting("GPU_WORKERS", "2", "1 to 64", "workers per GPU: two runs keep a GPU busy while one loads data")
def gpu_workers() -> int:
    return _whole("GPU_WORKERS", 2, 1, 64)


# One intra-op thread is fastest for these small nets on two cores: whenever anything else runs (a
# page, a test, a second student), OpenMP's spin-waiting second thread made steps 1.4 to 10 times
# slower in bench/bench_train.py. One thread also leaves a core to the page threads.
@_setting("CPU_THREADS", "1", "1 to 256", "intra-op threads per worker (one worker per core already)")
def cpu_threads() -> int:
    return _whole("CPU_THREADS", 1, 1, 256)


@_setting("WORKER_NICE", "10", "0 to 19 (0: same priority)",
          "training yields to the web process, so pages answer within a second")
def worker_nice() -> int:
    return _whole("WORKER_NICE", 10, 0, 19)


@_setting("FORK_WORKERS", "1", "1 or 0", "CPU workers are forked from one that imported torch once (0: fresh processes)")
def fork_workers() -> bool:
    return _switch("FORK_WORKERS", True)


@_setting("DEVICE", "auto", "auto, cpu, cuda", "where runs train; auto takes a GPU when there is one")
def device() -> str:
    return _choice("DEVICE", "auto", ("auto", "cpu", "cuda"))


@_setting("BF16", "1", "1 or 0", "bf16 autocast on GPUs that have it (0: fp32 with TF32 everywhere)")
def bf16() -> bool:
    return _switch("BF16", True)


@_setting("GPU_MEMORY_FRACTION", "0 (set by the pool)", "0 to 1 (0: no limit)",
          "each worker's share of its GPU, so one run that overreaches fails alone")
def gpu_memory_fraction() -> float:
    return _number("GPU_MEMORY_FRACTION", 0.0, 0.0, 1.0)


@_setting("GPU_DATA_SHARE", "0.5", "0 to 1", "the part of free GPU memory datasets may be cached in")
def gpu_data_share() -> float:
    return _number("GPU_DATA_SHARE", 0.5, 0.0, 1.0)


@_setting("FLUSH_SECONDS", "0.25", "0 to 60 (0: every step)",
          "how often a run's steps are written to the store: fewer writes, a live chart all the same")
def flush_seconds() -> float:
    return _number("FLUSH_SECONDS", 0.25, 0.0, 60.0)


@_setting("RUN_MEMORY_GB", "unset (the device's own room)", "0 to 100,000 (0: no check)",
          "a fixed room one run may take, checked before it is queued (a server shared with other programs)")
def run_memory_gb() -> float | None:
    return _number("RUN_MEMORY_GB", None, 0.0, 1e5)


# --- the queue -------------------------------------------------------------------------------

@_setting("MAX_QUEUE", "32", "1 to 10,000", "a class of 30 each queueing a run; a full queue is refused, never a hang")
def max_queue() -> int:
    return _whole("MAX_QUEUE", 32, 1, 10_000)


@_setting("MAX_PER_OWNER", "8", "1 to 10,000", "runs one person may have waiting: two 4-net experiments")
def max_per_owner() -> int:
    return _whole("MAX_PER_OWNER", 8, 1, 10_000)


@_setting("MAX_RUN_SECONDS", "600", "0 to 1,000,000 (0: no cap)",
          "one run may hold a worker for ten minutes at most")
def max_run_seconds() -> float:
    return _number("MAX_RUN_SECONDS", 600.0, 0.0, 1e6)


# --- a Ray cluster ---------------------------------------------------------------------------

@_setting("RAY_ADDRESS", "unset (local workers)", "auto, or ray://host:10001",
          "hands runs to a Ray cluster instead of local workers")
def ray_address() -> str:
    return _text("RAY_ADDRESS")


@_setting("RAY_FALLBACK", "wait", "wait, local", "local trains in local workers while the cluster cannot be reached")
def ray_fallback() -> str:
    return _choice("RAY_FALLBACK", "wait", ("wait", "local"))


@_setting("RAY_GPU_SHARE", "0.5", "0.01 to 1", "the part of a GPU one run asks Ray for: two runs share a GPU")
def ray_gpu_share() -> float:
    return _number("RAY_GPU_SHARE", 0.5, 0.01, 1.0)


@_setting("RAY_SLOTS", "0 (what the cluster holds)", "0 to 10,000", "runs handed to Ray at once")
def ray_slots() -> int:
    return _whole("RAY_SLOTS", 0, 0, 10_000)


@_setting("RAY_LOGS", "0", "1 or 0", "the workers' logs printed by the app's process")
def ray_logs() -> bool:
    return _switch("RAY_LOGS", False)


@_setting("RAY_SHIP_CODE", "1", "1 or 0", "sends resnet_core to the cluster (0: the workers have it on PYTHONPATH)")
def ray_ship_code() -> bool:
    return _switch("RAY_SHIP_CODE", True)


# --- the web server --------------------------------------------------------------------------

@_setting("TEACHER_KEY", "unset (no teacher controls)", "any phrase",
          "unlocks the teacher's controls; set on the server, never in a page")
def teacher_key() -> str:
    return os.environ.get(PREFIX + "TEACHER_KEY", "")


@_setting("ST_INTERNALS", "1", "1 or 0", "Streamlit internals that make pages faster (0: the public API only)")
def st_internals() -> bool:
    return _switch("ST_INTERNALS", True)


@_setting("WARM_PAGES", "1", "1 or 0", "the start-up script visits every page once, so the first student waits less")
def warm_pages() -> bool:
    return _switch("WARM_PAGES", True)


READERS: dict[str, Callable] = {f.env: f for f in list(globals().values()) if hasattr(f, "env")}


def problems() -> list[ConfigError]:
    """Every setting whose value is not allowed (checked when a server or the CLI starts)."""
    found = []
    for read in READERS.values():
        try:
            read()
        except ConfigError as err:
            found.append(err)
    return found
