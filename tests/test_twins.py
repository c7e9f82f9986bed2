"""The twins behind the inspection pages: the shipped checkpoints are what the recipe makes (a
rebuild matches their accuracy, and their bits on the same torch and CPU kernels), they load
without pickle, a changed recipe never shows a stale net, and queued twins are found in the store."""

import json
import shutil

import pytest
import torch

from resnet_core.inspection import inspect_models as im
from resnet_core.store.runs import RunStore
from resnet_core.training import engine, twins

DEFAULT = twins.DEFAULT


def test_every_shipped_twin_matches_the_recipe_and_is_small():
    files = sorted(p.name for p in twins.SHIPPED_DIR.iterdir())
    assert all(name.endswith((".json", ".safetensors")) for name in files)   # no pickles
    assert len(files) == 4 * len(twins.SHIPPED)
    for spec in twins.SHIPPED:
        for residual in (False, True):
            meta = twins.shipped_meta(spec, residual)
            assert meta is not None, (spec, residual)
            assert meta["dtype"] == "float16" and meta["twin"] == {False: "plain", True: "residual"}[residual]
            assert meta["test_acc"] > 0.85                  # ten digits: chance is 0.1
    assert sum((twins.SHIPPED_DIR / f).stat().st_size for f in files) < 1_200_000


def test_the_pages_default_is_the_shipped_twin():
    assert twins.SHIPPED == (im.TwinSpec(),) and im.has_shipped(im.TwinSpec())
    assert not im.has_shipped(im.TwinSpec(depth=8)) and not im.has_shipped(im.TwinSpec(steps=0))


def test_loading_a_shipped_twin_never_unpickles(monkeypatch):
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load used"))
    net = twins.load_shipped(DEFAULT, True)
    assert not net.model.training and net.model.cfg.residual
    assert all(p.dtype == torch.float32 for p in net.model.parameters())


def test_a_changed_recipe_does_not_use_the_old_checkpoint(tmp_path):
    for residual in (False, True):
        for suffix in (".json", ".safetensors"):
            src = twins.shipped_stem(DEFAULT, residual).with_suffix(suffix)
            shutil.copy(src, tmp_path / src.name)
    assert twins.load_shipped(DEFAULT, True, tmp_path) is not None
    stem = twins.shipped_stem(DEFAULT, True, tmp_path).with_suffix(".json")
    meta = json.loads(stem.read_text())
    meta["train_cfg"]["lr"] = 0.1                           # made by another recipe
    stem.write_text(json.dumps(meta))
    assert twins.shipped_meta(DEFAULT, True, tmp_path) is None
    assert twins.load_shipped(DEFAULT, True, tmp_path) is None
    assert twins.shipped_meta(DEFAULT, False, tmp_path) is not None


def test_rebuilding_a_shipped_checkpoint_with_the_script_recipe_matches_it(tmp_path, monkeypatch):
    # What scripts/make_checkpoints.py does for one member: same recipe, one CPU thread.
    monkeypatch.setenv("RESNET_EXPLORER_CPU_THREADS", "1")
    shipped = twins.shipped_meta(DEFAULT, True)
    made = twins.make_shipped(DEFAULT, True, tmp_path)
    assert made["model_cfg"] == shipped["model_cfg"] and made["train_cfg"] == shipped["train_cfg"]
    assert made["test_acc"] == pytest.approx(shipped["test_acc"], abs=0.02)
    rebuilt = twins.load_shipped(DEFAULT, True, tmp_path).model.state_dict()
    original = twins.load_shipped(DEFAULT, True).model.state_dict()
    same_kernels = (made["torch"], made["cpu_capability"]) == (shipped["torch"], shipped["cpu_capability"])
    if same_kernels:    # bit for bit; other CPU kernels sum in another order and drift apart
        assert made["sha256"] == shipped["sha256"] and made["test_acc"] == shipped["test_acc"]
        for name, tensor in original.items():
            assert torch.equal(rebuilt[name], tensor), name


# --- twins queued as runs ----------------------------------------------------------------------

SMALL = im.TwinSpec("digits", depth=8, width=8, steps=40)


def add(store, spec, residual, status, *, checkpoint=False, train_cfg=None):
    model_cfg = spec.model_config(residual)
    rid = store.create_run(model_cfg, train_cfg or spec.train_config().replace(device="cpu"),
                           group=twins.GROUP, label=model_cfg.name)
    if checkpoint:
        store.save_checkpoint(rid, im.twin_member(im.TwinSpec("digits", 8, 8, 0), residual).model)
    if status == "finished":
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=40, final_train_loss=1.0,
                         final_train_acc=0.5, test_acc=0.5)
    elif status != "queued":
        store.set_status(rid, status, "why it ended")
    return rid


def test_twin_runs_finds_this_settings_runs_whoever_queued_them(tmp_path, one_thread):
    store = RunStore(tmp_path / "runs.sqlite")
    assert twins.twin_runs(store, SMALL) == twins.TwinRuns({}, [], [])
    add(store, SMALL, True, "finished", checkpoint=True,
        train_cfg=SMALL.train_config().replace(lr=0.1))                         # another recipe
    add(store, im.TwinSpec("digits", 8, 8, 60), True, "finished", checkpoint=True)   # other steps
    failed = add(store, SMALL, False, "failed")
    found = twins.twin_runs(store, SMALL)
    assert not found.ready and found.finished == {} and [i.id for i in found.ended] == [failed]
    queued = add(store, SMALL, False, "queued")
    found = twins.twin_runs(store, SMALL)
    assert [i.id for i in found.active] == [queued] and found.ended == []   # a retry is under way
    res = add(store, SMALL, True, "finished", checkpoint=True)
    plain = add(store, SMALL, False, "finished", checkpoint=True)
    found = twins.twin_runs(store, SMALL)
    assert found.ready and (found.finished[False].id, found.finished[True].id) == (plain, res)


def test_the_jobs_of_a_twin_are_its_recipe_plain_first():
    jobs = SMALL.jobs()
    assert [m.residual for _, m, _ in jobs] == [False, True]
    assert all(tc == SMALL.train_config() for _, _, tc in jobs)
    assert all(SMALL.matches(m, tc.replace(device="cuda"), m.residual) for _, m, tc in jobs)
    assert not SMALL.matches(jobs[0][1], jobs[0][2], True)


def test_a_setting_that_does_not_ship_raises_instead_of_training(monkeypatch):
    monkeypatch.setattr(engine, "train", lambda *a, **k: pytest.fail("trained in the page's process"))
    with pytest.raises(im.NotShipped):
        im.twin_member(SMALL, True)
