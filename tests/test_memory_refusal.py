"""A run that cannot fit in the memory one run gets is refused at submit, before anything is
queued, with its numbers and what to reduce, in both languages; the app's own experiments and
presets never are. Device memory is injected (RESNET_EXPLORER_RUN_MEMORY_GB, or a stand-in for
the CUDA driver's answers): no GPU is needed."""

import re
from types import SimpleNamespace

import pytest
import torch

from resnet_core import ModelConfig, TrainConfig, arch_config
from resnet_core.data.budget import GB
from resnet_core.jobs.executors import InProcess
from resnet_core.jobs.runner import JobRunner, RunTooBig
from resnet_core.messages import identify
from resnet_core.store.runs import RunStore
from resnet_core.training import memory
from resnet_core.training.experiments import DEGRADATION_LONG_WIDTH, EXPERIMENTS
from ui.page import errors, i18n

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A 224-px ResNet-152 at batch 512 on CIFAR-10: the laptop-killer.
HUGE = (arch_config("resnet152", input_size=224, num_classes=10), TrainConfig(dataset="cifar10", batch_size=512))
SMALL = (arch_config("resnet20", base_width=8, input_size=8, in_channels=1), TrainConfig(dataset="digits", steps=5))


def never_trains(*args, **kwargs):
    raise AssertionError("a refused run reached the trainer")


@pytest.fixture
def runner(tmp_path):
    r = JobRunner(RunStore(tmp_path / "runs.db"), executor=InProcess(train_fn=never_trains))
    yield r
    r.shutdown()


def korean(err: RunTooBig) -> str:
    return i18n.table()[f"err.{err.code}"]["ko"].format(**err.params)


def test_a_run_too_big_for_the_room_is_refused_with_its_numbers_in_both_languages(runner, monkeypatch):
    monkeypatch.setenv(memory.ROOM_ENV, "8")
    with pytest.raises(RunTooBig) as info:
        runner.submit_many([("small", *SMALL), ("huge", *HUGE)], owner="a")   # the group, all or none
    err = info.value
    assert runner.store.list_runs() == [] and runner.queue_length() == 0
    est = memory.estimate(*HUGE)
    assert err.code == "run_memory_cpu" and est.total > 100 * GB and est.data > 30 * GB
    assert err.params == {"need": memory.gb(est.total), "data": memory.gb(est.data), "have": "8.0", "batch": "512",
                          "size": "224", "width": "64", "depth": "152"}
    english = str(err)
    assert english.startswith(f"this run needs about {memory.gb(est.total)} GB of memory")
    assert "64 channels in the first stage" in english   # named as the Build page labels the settings
    assert "reduce batch, input size, first stage's channels, width multiplier or depth" in english
    assert identify(english) == (err.code, err.params)           # a stored reason translates too
    assert errors.config_text(err) == english                    # English outside a page
    ko = korean(err)
    assert HANGUL.search(ko) and "8.0 GB" in ko and "배치 512" in ko and "깊이 152" in ko
    assert "첫 스테이지 채널 64개" in ko and "첫 스테이지 채널 수, 너비 배수" in ko
    # The same run fits once the room is large enough; 0 turns the check off.
    monkeypatch.setenv(memory.ROOM_ENV, "0")
    assert runner.check_memory(*HUGE) is None or runner.check_memory(*HUGE).total == est.total


def test_without_a_fixed_room_the_host_memory_bounds_a_cpu_run(runner, monkeypatch):
    monkeypatch.delenv(memory.ROOM_ENV, raising=False)
    room = memory.host_room()
    assert room is not None and room > 0                         # /proc/meminfo's MemAvailable, in part
    est = memory.estimate(*HUGE)
    if room >= est.total:
        pytest.skip(f"this machine has {memory.gb(room)} GB for one run")
    with pytest.raises(RunTooBig) as info:
        runner.submit(*HUGE, owner="a")
    assert info.value.params["have"] == memory.gb(room) and runner.store.list_runs() == []
    assert runner.submit(*SMALL, owner="a") > 0                  # an ordinary run is queued


def fake_gpus(monkeypatch, totals: list[int], capability=(8, 0)):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(totals))
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda i: SimpleNamespace(total_memory=totals[i if isinstance(i, int) else i.index or 0]))
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    memory.gpu_totals.cache_clear()


def test_a_gpu_run_is_measured_against_its_workers_share_of_the_smallest_gpu(monkeypatch, tmp_path):
    monkeypatch.delenv(memory.ROOM_ENV, raising=False)
    fake_gpus(monkeypatch, [80 * GB, 16 * GB])
    assert memory.gpu_room(0.45, ["0", "1"]) == int(0.45 * 16 * GB)
    assert memory.gpu_room(0.45, ["0"]) == int(0.45 * 80 * GB)
    runner = JobRunner(RunStore(tmp_path / "runs.db"), device="cuda", executor=InProcess(train_fn=never_trains))
    try:
        model, train = HUGE[0], HUGE[1].replace(dataset="digits", batch_size=256)
        with pytest.raises(RunTooBig) as info:
            runner.submit(model, train, owner="a")
        err = info.value
        assert err.code == "run_memory_gpu" and err.params["have"] == "16.0"
        assert err.estimate.bf16                                 # capability 8.0: bf16 autocast, half the activations
        assert err.estimate.activations < 0.6 * memory.estimate(model, train).activations
        assert "GPU memory" in str(err) and "GPU 메모리" in korean(err)
        fake_gpus(monkeypatch, [80 * GB, 16 * GB], capability=(7, 5))   # a T4: fp32, more memory
        with pytest.raises(RunTooBig) as info:
            runner.submit(model, train, owner="a")
        assert not info.value.estimate.bf16 and runner.store.list_runs() == []
    finally:
        runner.shutdown()
        memory.gpu_totals.cache_clear()   # the next test sees the real machine


# The pages' nets on the digits at the default width, and on CIFAR-10 (the largest images the
# experiments take) at the long run's width: every other dataset and width weighs less.
ORDINARY = [run for dataset, width in (("digits", 8), ("cifar10", DEGRADATION_LONG_WIDTH))
            for make in EXPERIMENTS.values() for run in make(dataset, width=width, steps=1200)]


def test_the_apps_own_experiments_and_the_build_default_are_never_refused():
    """Every experiment page's nets, and the Build page's default, fit in 2 GB: a laptop with 2.5 GB available (host_room takes 80 %) takes any of them."""
    runs = ORDINARY + [("build", ModelConfig(in_channels=1, input_size=8), TrainConfig(dataset="digits"))]
    assert len(runs) > 20
    for label, model, train in runs:
        est = memory.check(model, train, room=2 * GB, device="cpu")
        assert est.total < 2 * GB, (label, model, train, est)


def test_a_refusal_names_the_channels_as_the_build_page_sets_them_and_its_numbers_read_apart(runner, monkeypatch):
    """With a width multiplier the message shows the slider's channels and the multiplier (16 × 1.5 = 24),
    not a 24 the page has nowhere; a need just above the room does not read as the room ("4.0 ... 4.0")."""
    wide = (HUGE[0].replace(base_width=64, width_mult=1.5), HUGE[1])
    est = memory.estimate(*wide)
    room = est.total / GB - 0.01                     # refused by a hair: both are "x.y" to one decimal
    monkeypatch.setenv(memory.ROOM_ENV, f"{room:.4f}")
    with pytest.raises(RunTooBig) as info:
        runner.submit_many([("wide", *wide)], owner="a")
    err = info.value
    assert err.params["width"] == "64 × 1.5 = 96"
    assert "64 × 1.5 = 96 channels in the first stage" in str(err)
    assert "첫 스테이지 채널 64 × 1.5 = 96개" in korean(err)
    assert float(err.params["need"]) > float(err.params["have"]), err.params
    assert identify(str(err)) == (err.code, err.params)
    assert memory.RunTooBig(est, int(room * GB), *wide, "cpu").params["width"] == "64 × 1.5 = 96"


def test_gb_reads_as_a_plain_number():
    """A refusal's GB: one decimal from about 1 GB, two significant digits below, written out in
    full: a huge net refused with a few small images says "0.0000028 GB", never "2.8e-06"."""
    assert [memory.gb(x) for x in (12.34 * GB, 0.96 * GB, 0.5 * GB, 0.0954 * GB, 3000, 0)] == \
        ["12.3", "1.0", "0.5", "0.095", "0.0000028", "0"]
