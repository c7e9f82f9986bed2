"""A worker whose server goes away mid-run (`kill -9` of the web process closes its socket) marks
the run interrupted, not cancelled: no one pressed Stop. Runs a dead server left behind are marked
interrupted when the next one starts (tests/test_jobs.py); the browser side is
tests/browser/test_restart.py."""

import threading
import time
from multiprocessing import Pipe

from resnet_core import arch_config
from resnet_core.jobs import worker
from resnet_core.jobs.worker import JobSpec
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=5000, batch_size=16, device="cpu")


def serving_one_run(tmp_path, steps: int):
    """A worker serving one end of a pipe in a thread, training one run until it has `steps`
    steps in the store: (store, run id, the server's end, the thread)."""
    store = RunStore(tmp_path / "runs.db")
    rid = store.create_run(MODEL, TRAIN, owner="a" * 16, label="ResNet-20", group="build")
    server_end, worker_end = Pipe()
    serving = threading.Thread(target=worker._serve, args=(worker_end,), daemon=True)
    serving.start()
    server_end.send(JobSpec(rid, str(store.path), MODEL, TRAIN))
    deadline = time.monotonic() + 120
    while store.get_run(rid).steps_done < steps:
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.1)
    return store, rid, server_end, serving


def test_a_run_whose_server_went_away_is_interrupted_and_keeps_its_steps(tmp_path, one_thread):
    store, rid, server_end, serving = serving_one_run(tmp_path, 3)
    server_end.close()                                    # the server is gone
    serving.join(60)
    assert not serving.is_alive()                         # the worker ends with it
    info = store.get_run(rid)
    assert info.status == "interrupted" and info.error == worker.INTERRUPTED
    assert 3 <= info.steps_done < TRAIN.steps and len(store.steps(rid).step) >= 3


def test_a_run_stopped_by_its_owner_is_still_cancelled(tmp_path, one_thread):
    store, rid, server_end, serving = serving_one_run(tmp_path, 2)
    server_end.send("stop")
    assert server_end.recv()[:3] == ("done", rid, "cancelled")
    server_end.close()
    serving.join(60)
    assert store.get_run(rid).status == "cancelled"
