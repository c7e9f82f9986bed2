"""A training cluster that cannot be reached (resnet_core.jobs.cluster), without starting Ray:
the executor is made at once, says why, keeps new runs in the queue (bound and fair turns
unchanged) or, with the local setting, trains them here. A real head coming back, token auth
and a lost connection are tests/test_ray_cluster.py."""

import time

import pytest
from apptest_helpers import LentPool
from ray_head import refused_port
from test_jobs import wait_for

from resnet_core.jobs import executors
from resnet_core.jobs.cluster import ClusterExecutor, fallback_setting, one_line, ray_said
from resnet_core.jobs.runner import JobRunner, OwnerLimit, QueueFull
from resnet_core.store.runs import RunStore
from resnet_core.training.experiments import degradation_configs


def dead_address() -> str:
    return f"ray://127.0.0.1:{refused_port()}"


def short_run(steps: int = 4):
    label, model_cfg, train_cfg = degradation_configs("digits", steps=steps, device="cpu")[0]
    return model_cfg, train_cfg, label


@pytest.fixture
def waiting(tmp_path):
    executor = ClusterExecutor(dead_address(), retry=(60.0,))
    runner = JobRunner(RunStore(tmp_path / "runs.db"), executor=executor, max_queue=4, per_owner=2)
    yield runner, executor
    runner.shutdown()


def test_the_executor_is_made_at_once_and_says_why_it_cannot_connect(monkeypatch):
    address = dead_address()
    monkeypatch.setenv("RESNET_EXPLORER_RAY_ADDRESS", address)
    began = time.monotonic()
    executor = executors.default_executor("cpu")
    took = time.monotonic() - began
    try:
        assert isinstance(executor, ClusterExecutor) and took < 1.0, took
        wait_for(lambda: executor.state().state == "unreachable", 30)
        state = executor.state()
        host_port = address.removeprefix("ray://")
        assert state.reason == f"nothing answers at {host_port} (the system's message: Connection refused)"
        assert (state.reason.code, state.reason.values) == (
            "cluster_no_answer", {"target": host_port, "why": "Connection refused"})   # no regex needed
        assert state.address == address and state.waiting and not state.fallback
        assert not executor.ready() and executor.slots == 1
        assert state.next_try > time.time()
    finally:
        executor.shutdown()


def test_runs_wait_in_the_queue_with_its_bound_and_turns(waiting):
    runner, executor = waiting
    wait_for(lambda: executor.state().state == "unreachable", 30)
    model_cfg, train_cfg, label = short_run()
    first = runner.submit(model_cfg, train_cfg, owner="ana", label=label)
    second = runner.submit(model_cfg, train_cfg, owner="ana", label=label)
    other = runner.submit(model_cfg, train_cfg, owner="bob", label=label)
    time.sleep(1.0)   # a dispatcher that ignored the cluster's state would have taken one by now
    assert [runner.job(i).status for i in (first, second, other)] == ["queued"] * 3
    assert [runner.job(i).position for i in (first, other, second)] == [1, 2, 3]   # owners in turn
    with pytest.raises(OwnerLimit):
        runner.submit(model_cfg, train_cfg, owner="ana", label=label)
    with pytest.raises(QueueFull):
        runner.submit_many([(label, model_cfg, train_cfg)] * 2, owner="cy")
    assert runner.cancel(second, owner="ana") and runner.job(other).position == 2
    assert runner.store.get_run(first).status == "queued"


def test_with_the_local_setting_runs_train_here_until_the_cluster_is_back(tmp_path):
    executor = ClusterExecutor(dead_address(), fallback=LentPool, fallback_slots=1, retry=(60.0,))
    runner = JobRunner(RunStore(tmp_path / "runs.db"), executor=executor)
    try:
        assert executor.ready() and executor.state().fallback == "local"
        model_cfg, train_cfg, label = short_run()
        run_id = runner.submit(model_cfg, train_cfg, label=label)
        assert runner.wait(run_id, 120) == "finished", runner.store.get_run(run_id).error
        info = runner.store.get_run(run_id)
        assert info.steps_done == 4 and "ray_worker_pid" not in info.versions
        assert executor.state().state == "unreachable"
    finally:
        runner.shutdown()


def test_the_fallback_setting(monkeypatch):
    for value, expected in (("local", "local"), ("LOCAL ", "local"), ("wait", ""), ("", "")):
        monkeypatch.setenv("RESNET_EXPLORER_RAY_FALLBACK", value)
        assert fallback_setting() == expected
    monkeypatch.setenv("RESNET_EXPLORER_RAY_FALLBACK", "locl")
    with pytest.raises(ValueError, match="must be one of wait, local"):
        fallback_setting()


def test_a_connection_that_comes_back_takes_the_waiting_runs(tmp_path):
    """A stand-in for the connection: refused twice, then a local executor as "the cluster"."""
    tries = []

    def connect(address):
        tries.append(time.monotonic())
        if len(tries) < 3:
            raise ConnectionError("ray client connection timeout")
        return Linked()

    class Linked(LentPool):
        def alive(self):
            return True

    executor = ClusterExecutor("ray://head:10001", connect=connect, retry=(0.2,))
    runner = JobRunner(RunStore(tmp_path / "runs.db"), executor=executor)
    try:
        model_cfg, train_cfg, label = short_run()
        run_id = runner.submit(model_cfg, train_cfg, label=label)
        assert runner.wait(run_id, 120) == "finished"
        assert len(tries) == 3 and executor.state().state == "connected"
    finally:
        runner.shutdown()


def test_a_bare_ray_client_timeout_names_the_likely_cause():
    line = one_line(ConnectionError("ray client connection timeout"))
    assert line.startswith("the port answered but Ray did not (Ray's message: ConnectionError: ray client "
                           "connection timeout); ")
    assert "~/.ray/auth_token" in line and "RAY_AUTH_TOKEN" in line
    assert one_line(RuntimeError("a\n  b")) == "RuntimeError: a b"


def test_nothing_answering_carries_its_code_and_values_everywhere_it_is_said():
    import pickle

    from resnet_core.messages import ClusterNoAnswer, reason_of

    err = ClusterNoAnswer("h:1", "Connection refused")
    text = "nothing answers at h:1 (the system's message: Connection refused)"
    values = {"target": "h:1", "why": "Connection refused"}
    for said in (one_line(err), ray_said(err)):
        assert (said, said.code, said.values) == (text, "cluster_no_answer", values)
    failed = reason_of(err)
    assert (failed, failed.code, failed.values) == (f"ClusterNoAnswer: {text}", "cluster_no_answer", values)
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.code, again.params) == (text, "cluster_no_answer", values)
    assert isinstance(again, ConnectionError)


def test_rays_own_words_are_marked_as_rays_on_the_pages_and_plain_on_the_command_line():
    err = ConnectionError("Failed to connect to the server")
    assert one_line(err) == "ConnectionError: Failed to connect to the server"   # the CLI's line
    said = ray_said(err)
    assert said == "Ray reported an error (Ray's message: ConnectionError: Failed to connect to the server)"
    assert said.code == "ray_error"
    token = ConnectionError("ray client connection timeout")
    assert ray_said(token) == one_line(token)   # already our sentence around Ray's words


def test_runs_are_priced_on_what_the_cluster_gives_them(tmp_path):
    """Not connected: "auto" (this machine's own device); connected to GPUs: "cuda", so a
    CPU-only web server in front of a GPU cluster prices runs at GPU speed."""
    class GpuCluster(LentPool):
        device = "cuda"

        def alive(self):
            return True

    refused = ClusterExecutor(dead_address(), retry=(30.0,))
    try:
        assert refused.device == "auto"
    finally:
        refused.shutdown()
    executor = ClusterExecutor("ray://head:10001", connect=lambda address: GpuCluster(), retry=(0.2,))
    runner = JobRunner(RunStore(tmp_path / "runs.db"), executor=executor)
    try:
        wait_for(lambda: executor.state().state == "connected", 30)
        assert executor.device == "cuda" and runner.runs_on == "cuda"
    finally:
        runner.shutdown()


def test_a_ray_cluster_says_which_device_its_runs_get():
    from types import SimpleNamespace

    from resnet_core.jobs.ray_executor import RayExecutor

    executor = RayExecutor.__new__(RayExecutor)      # its resources only, no connection
    for resources, device in [({"GPU": 2.0, "CPU": 16.0}, "cuda"), ({"CPU": 16.0}, "cpu")]:
        executor._ray = SimpleNamespace(cluster_resources=lambda r=resources: r)
        assert executor.device == device
    executor._ray = SimpleNamespace(cluster_resources=lambda: (_ for _ in ()).throw(ConnectionError("gone")))
    assert executor.device == "auto"


def test_the_command_line_says_nothing_answers_without_a_python_type_name(capsys):
    from resnet_core.__main__ import main

    port = refused_port()
    code = main(["train", "resnet20", "--steps", "2", "--no-store", "--backend", "ray",
                 "--ray-address", f"ray://127.0.0.1:{port}"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err == (f"error: nothing answers at 127.0.0.1:{port} "
                          "(the system's message: Connection refused)"), err
