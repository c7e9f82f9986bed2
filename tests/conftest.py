"""Fixtures shared by the test files."""

import os

# Test files run in parallel, about one process per core (scripts/test.sh). Each torch would otherwise
# start an intra-op thread per core, so two processes on two cores keep four busy threads, which
# spin waiting for one another; one thread each (and for the servers they start, which inherit
# the variable) made the suite's CPU-bound half 8% faster on two cores. Set before torch loads.
if os.environ.get("PYTEST_XDIST_WORKER") and "OMP_NUM_THREADS" not in os.environ:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))

# A page's job runner starts its worker processes at once, one per core by default: forks of a
# template that imports torch once per process (about 3.5 s of CPU), each then holding memory.
# Most test files make a runner of their own and train little or nothing, so one worker each
# (and the AppTest files share one pool: apptest_helpers.LentPool).
# The pool's own tests (tests/test_pool.py) ask for their worker counts explicitly.
os.environ.setdefault("RESNET_EXPLORER_WORKERS", "1")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

# Tests never write into the real home. A local ray.init() writes ~/.ray/auth_token, and from then
# on every `ray start --head` of that user asks for a token (tests/test_ray_cluster.py); a store or
# data folder left to its default lives under ~/.cache. So each test process gets a HOME and a Ray
# temp dir of its own (the servers and Ray heads it starts inherit them), removed when it ends. The
# folder's name is short: Ray's socket paths inside it must stay under 107 characters.
SESSION_DIR = tempfile.mkdtemp(prefix="rx-")
os.environ["HOME"] = os.path.join(SESSION_DIR, "home")
os.environ["RAY_TMPDIR"] = os.path.join(SESSION_DIR, "t")
os.makedirs(os.environ["HOME"])
os.makedirs(os.environ["RAY_TMPDIR"])
for name in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
    os.environ.pop(name, None)   # the developer's own cluster settings are not the tests'
# Temporary files of everything this process starts: a fork server's socket folder (pymp-*)
# outlives a server killed with SIGKILL (tests/browser/test_restart.py), and would stay in /tmp;
# inside SESSION_DIR it goes with the rest. This process keeps its own temporary folder: its fork
# server's socket folder is removed by multiprocessing as it exits, after SESSION_DIR is gone.
os.environ["TMPDIR"] = os.path.join(SESSION_DIR, "tmp")
os.makedirs(os.environ["TMPDIR"])
# Importing torch._dynamo (torch's optimizers do) makes torch's compile cache folder, by default
# in the temporary folder as this process sees it: /tmp/torchinductor_USER. In SESSION_DIR instead,
# for this process and all it starts.
os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(SESSION_DIR, "inductor")
atexit.register(shutil.rmtree, SESSION_DIR, True)

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
import harness  # noqa: E402  (starting the app as the run command does; no browser needed)

# Every AppTest run that starts an app scans the metadata of every installed package for
# Streamlit components: 0.4 s of CPU each time, about half of what an AppTest file spent. A
# server scans once, as it starts; the packages do not change during a test run, so neither do
# the components found: scan once per test process too. Likewise a server compiles each page
# once, where each AppTest run compiled its pages again: the AppTest files made 2,728 compiles
# (5.1 s of CPU), and 22 once they share them.
from ui.server import streamlit_internals  # noqa: E402

streamlit_internals.cache_component_scan()
streamlit_internals.share_script_bytecode()


# The slowest files, slowest first (seconds of one run on two busy cores, 2026-12). The suite runs
# a file per process (`--dist loadfile --no-loadscope-reorder`, scripts/test.sh); a long file
# handed out last keeps one core busy while the other has nothing left, so the long ones go
# first and the many short ones fill the gaps at the end. Files not named keep their order.
SLOW_FIRST = (
    "tests/test_ray_cluster.py", "tests/browser/test_teacher.py",
    "tests/browser/test_classroom_watch.py", "tests/browser/test_phone.py",
    "tests/browser/test_share_links.py", "tests/test_ray_backend.py",
    "tests/browser/test_studies.py", "tests/test_experiment.py", "tests/browser/test_home.py",
    "tests/browser/test_concept_pages_live.py", "tests/browser/test_export_page.py",
    "tests/browser/test_live_pages.py", "tests/browser/test_restart.py",
    "tests/browser/test_concept_pages_train.py", "tests/browser/test_bottleneck.py",
    "tests/test_boot.py", "tests/browser/test_cluster_page.py", "tests/test_export.py",
    "tests/test_gpu_faults.py", "tests/test_school_day.py", "tests/test_template.py",
    "tests/browser/test_degradation_gap.py", "tests/test_twins.py", "tests/test_jobs.py",
)


def pytest_collection_modifyitems(config, items):
    root = Path(str(config.rootpath))
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}

    def file_rank(item) -> int:
        return rank.get(Path(str(item.fspath)).relative_to(root).as_posix(), len(rank))

    items.sort(key=file_rank)   # stable: a file's tests stay together and in their order
    if any(Path(str(item.fspath)).name.startswith("test_app_") for item in items):
        import loud_widgets   # a control set on a Korean page must change or fail, never stay put

        loud_widgets.install()


@pytest.hookimpl(tryfirst=True)   # before pytest's tmp_path plugin reads the option
def pytest_configure(config):
    # tmp_path's folders (a server's store and log, a run's files) go in SESSION_DIR with the rest,
    # not in /tmp/pytest-of-USER, where pytest keeps the last three runs' (12-17 MB each). The
    # processes that run tests get folders inside the one of the process that started them
    # (pytest-xdist), so the whole tree goes when that process ends. `--basetemp=DIR` keeps them.
    if config.option.basetemp is None and not os.environ.get("PYTEST_XDIST_WORKER"):
        config.option.basetemp = os.path.join(SESSION_DIR, "pytest")
    # Where the suite's time goes (tests/timeline.py): written by the processes that run tests,
    # not by pytest-xdist's controller, which only hears of them.
    controller = getattr(config.option, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER")
    if os.environ.get("TEST_TIMELINE") and not controller:
        from timeline import Timeline

        config.pluginmanager.register(Timeline(os.environ["TEST_TIMELINE"]), "timeline")


def _stop_fork_server(timeout_s: float = 20.0) -> None:
    """End this process's fork server (resnet_core/jobs/forkserver.py) before SESSION_DIR goes.
    It preloads torch._dynamo, which makes the compile cache folder in SESSION_DIR; a run of one
    short file could end while it still imported, and the folder came back after SESSION_DIR was
    removed (/tmp/rx-*/inductor). It ends once this process and every worker forked from it have
    let go of its "alive" pipe: the AppTest files' lent pool ends first."""
    import multiprocessing.forkserver

    server = multiprocessing.forkserver._forkserver
    pid, alive = getattr(server, "_forkserver_pid", None), getattr(server, "_forkserver_alive_fd", None)
    if pid is None or alive is None:
        return
    lent = getattr(sys.modules.get("apptest_helpers"), "LentPool", None)
    if lent is not None and lent._pool is not None:
        atexit.unregister(lent._pool.shutdown)
        lent._pool.shutdown()
        lent._pool = None
    server._forkserver_pid = server._forkserver_alive_fd = None   # as its own _stop() leaves it
    os.close(alive)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:   # never a hang: a worker still alive keeps it, and it ends with that
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.1)


def pytest_unconfigure(config):
    _stop_fork_server()
    # As well as at exit: a test process of pytest-xdist may end without running atexit.
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread while a module runs many tiny nets: starting threads costs more than the
    maths, and on a busy two-core machine two OpenMP threads can stall each other for tens of ms an op."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class SharedServer:
    """One app server per test process, lent to one test file after another: starting a server
    (torch imported twice, once by the server and once by its training worker) costs more than
    most files' tests. A file that ends with runs still queued or running (a test failed before
    it stopped them) hands the server back for good: the next file gets a fresh one, so no run
    of one file ever holds the training worker while another file's test waits for its own."""

    SETTLE_S = 20   # a stopped run ends within a step; a run that has not ended by then goes on

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self.server: harness.AppServer | None = None

    def lend(self) -> harness.AppServer:
        if self.server is not None and not self.server.alive():
            self.close()
        if self.server is None:
            self.server = harness.start_app(self._tmp.mktemp("explorer"))
        return self.server

    def take_back(self) -> None:
        if self.server is None:
            return
        if not self.server.runs_ended(self.SETTLE_S):
            self.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory):
    shared = SharedServer(tmp_path_factory)
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def app_server(shared_server):
    """The server of this test process, for this file; its store holds the runs of the files
    before it (each file's pages show their own owner's runs, or look for exactly their own).
    Browser files use it, and so do the files that speak to a server without a browser."""
    yield shared_server.lend()
    shared_server.take_back()
