"""The lesion and landscape tasks the job runner queues, on nets trained into a real store, and
the CLI experiments that run them."""

import json

import pytest

from resnet_core import ConfigError, arch_config
from resnet_core.__main__ import main
from resnet_core.data.datasets import run_data
from resnet_core.jobs.tasks import TASKS
from resnet_core.store.runs import RunStore
from resnet_core.training.engine import train
from resnet_core.training.sinks import StoreSink
from resnet_core.training.experiments import recipe

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("tasks") / "runs.db")
    tc = recipe("digits", steps=8, device="cpu")
    ids = []
    for plain in (True, False):
        m = arch_config("resnet8", plain=plain, base_width=4, input_size=8, in_channels=1, num_classes=10)
        rid = store.create_run(m, tc, label="plain-8" if plain else "ResNet-8", group="t")
        train(m, tc, sink=StoreSink(store, rid))
        ids.append(rid)
    unfinished = store.create_run(m, tc, label="queued")
    return store, ids, unfinished


def _run(name, params, store, stop=lambda: False):
    seen = []
    result = TASKS[name](params, store=store, on_progress=lambda d, t: seen.append((d, t)), should_stop=stop)
    json.dumps(result, allow_nan=False)   # what store.save_result writes: plain JSON
    return result, seen


def test_lesion_task_uses_each_runs_held_out_split(trained):
    store, ids, _ = trained
    result, seen = _run("lesion", {"run_ids": ids, "draws": 2}, store)
    plain, residual = result["nets"]
    assert (plain["kind"], residual["kind"], plain["depth"]) == ("plain", "residual", 8)
    ds = run_data(store.get_run(ids[0]), "cpu")
    assert plain["n_test"] == len(ds.y_test) == 359   # 20% of the 1,797 digits, as in training
    # The intact net's held-out accuracy is the one the engine measured at the end of training.
    assert residual["intact_acc"] == pytest.approx(store.get_run(ids[1]).test_acc)
    assert seen[-1][0] == seen[-1][1] and all(a[0] < b[0] for a, b in zip(seen, seen[1:]))
    assert set(result["verdicts"]) == {"8"} and "checks" in result["verdicts"]["8"]


def test_landscape_task_progress_over_both_nets(trained):
    store, ids, _ = trained
    result, seen = _run("landscape", {"run_ids": ids, "grid": 3, "points_1d": 3, "max_images": 64}, store)
    assert seen[-1] == (2 * (3 + 9), 2 * (3 + 9))
    for net in result["nets"]:
        assert net["n_images"] == 64 and len(net["surface"]["loss"]) == 3 and net["shape"] is not None
    stopped, _ = _run("landscape", {"run_ids": ids, "grid": 3, "points_1d": 3}, store, stop=lambda: True)
    assert len(stopped["nets"]) == 1 and stopped["nets"][0]["stopped"]


@pytest.mark.parametrize("params,match", [
    ({"run_ids": []}, "trained runs"),
    ({"run_ids": ["x"]}, "whole numbers"),
    ({"run_ids": [1], "colour": "red"}, "unknown task parameters"),
    ({"run_ids": [1], "grid": 500}, "grid must be"),
])
def test_bad_parameters_say_what_is_allowed(trained, params, match):
    with pytest.raises(ConfigError, match=match):
        _run("landscape", params, trained[0])


def test_an_unfinished_run_is_refused(trained):
    store, ids, unfinished = trained
    with pytest.raises(ConfigError, match="has not finished training"):
        _run("lesion", {"run_ids": [ids[0], unfinished]}, store)


def test_cli_experiments(capsys):
    code = main(["experiment", "lesion", "--steps", "4", "--width", "4", "--draws", "1", "--device", "cpu",
                 "--no-store", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and [n["label"] for n in out["nets"]] == ["plain-20", "ResNet-20"]
    net = out["nets"][1]
    assert {"intact_acc", "blocks", "k_curve"} <= net.keys() and len(net["blocks"]) == 9
    assert [k["k"] for k in net["k_curve"]] == list(range(1, 10))
    code = main(["experiment", "landscape", "--depth", "20", "--steps", "4", "--width", "4", "--grid", "3",
                 "--points", "3", "--max-images", "32", "--device", "cpu", "--no-store", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and len(out["nets"]) == 2 and out["grid"] == 3
    assert {"line", "surface", "shape", "seconds"} <= out["nets"][0].keys()
    assert main(["experiment", "lesion", "--depth", "21", "--no-store"]) == 2


def test_a_server_set_to_the_cpu_runs_its_studies_there(trained):
    """RESNET_EXPLORER_DEVICE=cpu (the runner's device) holds for analysis tasks as for training."""
    from resnet_core.jobs.executors import InProcess
    from resnet_core.jobs.runner import JobRunner

    store, ids, _ = trained
    runner = JobRunner(store, device="cpu", executor=InProcess())
    try:
        job = runner.submit_task("lesion", {"run_ids": ids, "draws": 1})
        assert runner.wait(job, timeout=120) == "finished"
        (params,), = store._query("SELECT params FROM tasks WHERE run_id=?", (job,))
        assert json.loads(params)["device"] == "cpu"      # not "auto", which takes a GPU when there is one
        assert store.result(job)["device"] == "cpu"
    finally:
        runner.shutdown()


def test_a_prediction_stopped_while_its_nets_train_ends_stopped_not_failed(tmp_path):
    """Stopped while a net trains, a prediction raises on that net ("did not finish training"); the
    run list must read "stopped", as for a task stopped while it measures, never "failed"; a real
    failure (not stopped) still fails."""
    from resnet_core.jobs.worker import JobSpec, run_job
    from resnet_core.nets.config import ModelConfig, TrainConfig

    store = RunStore(tmp_path / "runs.db")
    params = {"question": "degradation", "setup": {"dataset": "digits", "steps": 10, "seed": 0, "width": 8},
              "device": "cpu"}
    run_id = store.create_task("predict", params, ModelConfig(), TrainConfig())
    spec = JobSpec(run_id, str(store.path), ModelConfig(), TrainConfig(), kind="predict", params=params)
    assert run_job(spec, store, lambda: True) == ("cancelled", "")
    assert store.get_run(run_id).status == "cancelled" and store.result(run_id) is None
    bad = JobSpec(run_id, str(store.path), ModelConfig(), TrainConfig(), kind="predict", params={"question": "x"})
    with pytest.raises(ConfigError):
        run_job(bad, store, lambda: False)
