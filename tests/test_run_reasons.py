"""Why a run stopped is stored as the code and values it was written from, beside the English
sentence, so a page translates it by its code; a row stored before those columns keeps its
sentence alone and is read back against the templates (messages.identify)."""

import json
import pickle
import sqlite3

import pytest
from test_store_experiments import MODEL, OLD_SCHEMA, TRAIN

from resnet_core import ConfigError, arch_config, messages
from resnet_core.jobs.executors import ProcessPool
from resnet_core.jobs.runner import JobRunner
from resnet_core.store.runs import RunStore
from ui.page import errors, i18n

OLD_DIVERGED = "the loss became nan at step 12: the learning rate is too high for this net"   # an old wording
KO_DIVERGED = "12단계에서 학습 손실이 숫자가 아닌 값(NaN)이 되어"
OLD_OOM = ("the GPU ran out of memory for this run (batch 16, 8x8 input, width 4, depth 20): "
           "reduce batch, input size, width or depth")


def shown(info, lang: str, monkeypatch) -> str:
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    return errors.reason_text(info.error, info.error_code, info.error_values)


def test_a_reason_carries_its_code_across_processes_and_into_the_store(tmp_path):
    reason = messages.message("diverged", value=float("nan"), step=12)
    again = pickle.loads(pickle.dumps(reason))
    assert (again, again.code, again.values) == (reason, "diverged", {"value": "nan", "step": "12"})
    try:
        TRAIN.replace(steps=0)
    except ConfigError as err:
        failed = messages.reason_of(err)
    assert failed.startswith("ConfigError: steps must be") and failed.code == "range"
    assert messages.reason_of(RuntimeError("boom")).code == ""
    # A run that diverges in a worker process: the reason is written there, with its code.
    store = RunStore(tmp_path / "runs.db")
    no_bn = arch_config("resnet20", base_width=4, input_size=8, in_channels=1, norm="none")
    pool = ProcessPool(1)
    runner = JobRunner(store, executor=pool)
    try:
        run = runner.submit(no_bn, TRAIN.replace(lr=100.0, steps=50, warmup_steps=0, schedule="constant"))
        assert runner.wait(run, timeout=120) == "diverged"
    finally:
        runner.shutdown()
    info = store.get_run(run)
    assert info.error_code == "diverged" and info.error == messages.message("diverged", **info.error_values)
    assert info.error_values["step"] == str(info.steps_done + 1)


def test_an_old_row_and_a_new_row_read_right_in_both_languages(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(OLD_SCHEMA)
    for reason in (OLD_DIVERGED, OLD_OOM):
        conn.execute("INSERT INTO runs (created, status, owner, label, grp, model_cfg, train_cfg, seed, error)"
                     " VALUES (1.0, 'failed', '', 'ResNet-20', 'build', ?, ?, 0, ?)",
                     (json.dumps(MODEL.to_dict()), json.dumps(TRAIN.to_dict()), reason))
    conn.commit()
    conn.close()
    store = RunStore(db)                       # the upgrade adds error_code and error_values
    old_diverged, old_oom = store.get_run(1), store.get_run(2)
    assert (old_diverged.error_code, old_diverged.error_values) == ("", {})
    new = store.create_run(MODEL, TRAIN, label="ResNet-20", group="build")
    store.set_status(new, "failed", messages.message("diverged", value="nan", step=12))
    new_diverged = store.get_run(new)
    assert (new_diverged.error_code, new_diverged.error_values) == ("diverged", {"value": "nan", "step": "12"})

    english = messages.message("diverged", value="nan", step=12)
    for info in (old_diverged, new_diverged):
        assert shown(info, "en", monkeypatch) == english          # the old wording reads as the new
        korean = shown(info, "ko", monkeypatch)
        assert korean.startswith(KO_DIVERGED) and "너무 높" not in korean, korean
    assert shown(old_oom, "ko", monkeypatch) == ("이 학습에 GPU 메모리가 부족했습니다 (배치 16, 입력 8×8, 첫 스테이지 채널 4개, 깊이 20). "
                                               "배치, 입력 크기, 첫 스테이지 채널 수, 너비 배수, 깊이 가운데 하나를 줄여 보세요")
    # An old row reads in today's wording: the old "width 4" was the first stage's channels.
    assert shown(old_oom, "en", monkeypatch) == ("the GPU ran out of memory for this run (batch 16, 8×8 input, 4 channels "
                                               "in the first stage, depth 20): reduce batch, input size, first stage's "
                                               "channels, width multiplier or depth")

    # A new row is translated from its code alone: no sentence is parsed, so a reason whose
    # wording no template matches any more still reads right.
    def no_parsing(text):
        raise AssertionError(f"parsed {text!r}")

    monkeypatch.setattr(errors, "identify", no_parsing)
    assert shown(new_diverged, "ko", monkeypatch).startswith(KO_DIVERGED)
    reworded = store.create_run(MODEL, TRAIN, label="ResNet-20", group="build")
    store.set_status(reworded, "failed", messages.Reason("training went to nan at step 12", "diverged",
                                                         {"value": "nan", "step": "12"}))
    assert shown(store.get_run(reworded), "en", monkeypatch) == english
    assert shown(store.get_run(reworded), "ko", monkeypatch).startswith(KO_DIVERGED)
    with pytest.raises(AssertionError):
        shown(old_diverged, "ko", monkeypatch)                    # an old row has only its sentence
    store.close()
