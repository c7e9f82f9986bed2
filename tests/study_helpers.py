"""What the study pages' tests share: a finished plain/residual pair in a run store, as the pages
train it by default, and a finished study of it, so no test waits for the queue."""

from resnet_core import ModelConfig, TrainConfig
from resnet_core.jobs.tasks import TASKS
from resnet_core.training.engine import build_seeded
from resnet_core.training.experiments import degradation_configs
from ui.training import twins


def finished_twins(store, *, depth: int = 20, steps: int = 300, seed: int = 0, owner: str = "teach0er") -> list[int]:
    """plain-N and ResNet-N with the pages' default recipe, finished, with (untrained) checkpoints."""
    ids = []
    for label, m, tc in degradation_configs("digits", steps=steps, seed=seed):
        if label in (f"plain-{depth}", f"ResNet-{depth}"):
            rid = store.create_run(m, tc, owner=owner, label=label, group=twins.TRAIN_GROUP)
            store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=steps)
            store.finish_run(rid, status="finished", seconds=1.0, steps_done=steps, final_train_loss=0.1,
                             final_train_acc=0.9, test_acc=0.9)
            store.save_checkpoint(rid, build_seeded(m, seed))
            ids.append(rid)
    return ids


def finished_study(store, name: str, params: dict, owner: str = "teach0er") -> dict:
    """Run the task here and store it as the page would find it (same group for equal params)."""
    result = TASKS[name](params, store=store, on_progress=lambda d, t: None, should_stop=lambda: False)
    tid = store.create_task(name, params, ModelConfig(), TrainConfig(), owner=owner, label=name,
                            group=twins._group(name, params))
    store.save_result(tid, result)
    store.set_status(tid, "finished")
    return result
