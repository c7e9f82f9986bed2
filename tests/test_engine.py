"""The training loop: recorders against naive loops, schedules against torch's schedulers,
determinism, divergence, stopping, held-out accuracy against a manual count."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from resnet_core import arch_config
from resnet_core.data.datasets import load_dataset
from resnet_core.nets.config import ConfigError, TrainConfig
from resnet_core.nets.models import build_model, weight_layers
from resnet_core.training.engine import build_seeded, evaluate, lr_at, planned_steps, resolve_device, train
from resnet_core.training.recorders import ActivationRecorder, GradNormRecorder, l2_norms
from resnet_core.training.sinks import MemorySink

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)


def tiny_train(**changes):
    base = dict(dataset="digits", steps=12, batch_size=32, augment=True, device="cpu", eval_every=5,
                stats_every=5, seed=0)
    return TrainConfig(**{**base, **changes})


@pytest.mark.parametrize("arch,norm", [("resnet20", "batch"), ("plain20", "none"), ("resnet18", "batch")])
def test_grad_norms_match_a_naive_loop(arch, norm):
    cfg = arch_config(arch, base_width=4, input_size=32, num_classes=5, norm=norm)
    model = build_model(cfg)
    loss = F.cross_entropy(model(torch.randn(3, 3, 32, 32)), torch.tensor([0, 1, 4]))
    loss.backward()
    rec = GradNormRecorder(model)
    naive = [m.weight.grad.norm().item() for _, m in weight_layers(model)]
    assert rec.names == [name for name, _ in weight_layers(model)]
    assert np.allclose(rec.record().tolist(), naive, rtol=1e-5, atol=1e-8)


def test_l2_norms_match_norms_of_float64_copies():
    g = torch.Generator().manual_seed(0)
    tensors = [torch.randn(64, 16, 3, 3, generator=g) * 1e-31,    # sigmoid plain-56's first layers
               torch.zeros(7, 5),                                   # exact zeros
               torch.tensor([1e-45, 0.0, -1e-45]),                  # float32's smallest subnormal
               torch.randn(1000, generator=g) * 1e30,               # squares beyond float32's range
               torch.randn(10, 64, generator=g),
               torch.randn(33, generator=g).to(torch.bfloat16),
               torch.randn(3, 3, generator=g, dtype=torch.float64) * 1e-200]
    naive = [t.double().pow(2).sum().sqrt().item() for t in tensors]
    norms = l2_norms(tensors)
    assert norms.dtype == torch.float64 and norms.shape == (len(tensors),)
    assert np.allclose(norms.tolist(), naive, rtol=1e-6, atol=0)
    assert norms[1].item() == 0.0 and norms[0].item() > 0.0 and norms[2].item() > 0.0
    assert torch.linalg.vector_norm(tensors[0]).item() == 0.0       # why not float32: it reads 0


def test_grad_norm_of_a_layer_without_gradient_is_zero():
    model = build_model(TINY)
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    model.head.fc.weight.grad = None
    norms = GradNormRecorder(model).record()
    assert norms[-1].item() == 0.0 and norms[0].item() > 0.0


def test_activation_stats_match_a_naive_hook():
    model = build_model(TINY)
    x = torch.randn(4, 1, 8, 8)
    rec = ActivationRecorder(model)
    outputs = {}
    handles = [m.register_forward_hook(lambda mod, i, o, n=name: outputs.__setitem__(n, o.detach().numpy()))
               for name, m in rec.modules]
    with rec.capture() as cap:
        model(x)
    for h in handles:
        h.remove()
    expected = [[o.mean(), o.std(ddof=1), (o == 0).mean()] for o in (outputs[n] for n in rec.names)]
    assert np.allclose(cap.stats.numpy(), expected, rtol=1e-4, atol=1e-6)
    assert all(len(m._forward_hooks) == 0 for _, m in rec.modules)   # ours removed themselves


@pytest.mark.parametrize("total,warmup", [(200, 0), (64, 10), (7, 0)])
def test_step_schedule_matches_multisteplr(total, warmup):
    cfg = TrainConfig(lr=0.1, schedule="step", steps=total, warmup_steps=warmup)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [math.ceil(total / 2), math.ceil(3 * total / 4)], 0.1)
    for step in range(total):
        if step >= warmup:
            assert lr_at(step, cfg, total) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        else:   # linear warm-up from lr/10
            assert lr_at(step, cfg, total) == pytest.approx(0.01 + 0.09 * step / warmup)
        opt.step()
        sched.step()


def test_cosine_schedule_matches_cosineannealing():
    total, warmup = 50, 5
    cfg = TrainConfig(lr=0.2, schedule="cosine", steps=total, warmup_steps=warmup)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup)
    for step in range(warmup, total):
        assert lr_at(step, cfg, total) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-12)
        opt.step()
        sched.step()
    assert lr_at(30, cfg.replace(schedule="constant"), total) == 0.2


def test_same_seed_same_losses_on_the_cpu():
    a = train(TINY, tiny_train())
    b = train(TINY, tiny_train())
    assert a.status == b.status == "finished" and a.steps_done == 12
    assert [r.loss for r in a.history] == [r.loss for r in b.history]
    assert [r.grad_norms for r in a.history] == [r.grad_norms for r in b.history]
    c = train(TINY, tiny_train(seed=1))
    assert [r.loss for r in c.history] != [r.loss for r in a.history]


def test_training_leaves_the_process_as_it_found_it():
    """Threads and denormal flushing are set for training only: a gradient probe afterwards in
    the same process (a page's, say) measures what it measured before. The plain sigmoid net's
    norms underflow through denormals; flushed, more of its layers read exactly 0."""
    from resnet_core.inspection.probes import grad_norms_at_init

    probe = arch_config("plain56", block="preact", norm="none", activation="sigmoid", init="he", input_size=16)
    threads = torch.get_num_threads()
    _, before = grad_norms_at_init(probe, batch=16, seed=0)
    train(TINY, tiny_train(steps=2))
    _, after = grad_norms_at_init(probe, batch=16, seed=0)
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(after, before)


def test_records_per_step():
    result = train(TINY, tiny_train())
    layers = [name for name, _ in weight_layers(build_model(TINY))]
    assert result.layer_names == layers
    assert [r.step for r in result.history] == list(range(1, 13))
    assert all(len(r.grad_norms) == len(layers) for r in result.history)
    # Every layer gets a gradient (a zero or non-finite norm would be a layer cut off), and the
    # norms move as the weights do.
    assert all(0 < g < math.inf for r in result.history for g in r.grad_norms)
    assert result.history[0].grad_norms != result.history[-1].grad_norms
    assert [e.step for e in result.evals] == [5, 10, 12]   # every eval_every steps and at the end
    assert [s.step for s in result.stats] == [1, 5, 10, 12]
    assert all(len(s.values) == len(result.stat_names) for s in result.stats)
    # The final train loss is the mean of the last 10% of steps (here 2 of 12).
    assert result.final_train_loss == pytest.approx(np.mean([r.loss for r in result.history[-2:]]))
    assert result.history[0].lr == pytest.approx(0.1) and result.history[-1].lr == pytest.approx(0.001)


def test_test_accuracy_is_a_plain_count():
    result = train(TINY, tiny_train(steps=40, augment=False))
    ds = load_dataset("digits", size=8, in_channels=1, seed=0)
    with torch.no_grad():
        predictions = torch.cat([result.model(x).argmax(1) for x in ds.x_test.split(50)])
    assert result.test_acc == pytest.approx((predictions == ds.y_test).float().mean().item())
    assert result.test_acc > 0.3   # ten classes: chance is 0.1


def test_a_huge_lr_diverges_and_keeps_what_it_recorded():
    # Without BN nothing rescales the residual sum: at lr 100 it overflows within a few steps.
    no_bn = arch_config("resnet20", base_width=4, input_size=8, in_channels=1, norm="none")
    result = train(no_bn, tiny_train(lr=100.0, steps=50, warmup_steps=0, schedule="constant"))
    assert result.status == "diverged"
    assert 1 <= result.steps_done < 50 and len(result.history) == result.steps_done
    assert all(math.isfinite(r.loss) for r in result.history)
    assert f"step {result.steps_done + 1}" in result.error and math.isnan(result.test_acc)


def test_stop_request_ends_the_run_within_a_step():
    calls = []

    def stop_after_five():
        calls.append(1)
        return len(calls) > 5

    result = train(TINY, tiny_train(steps=100), should_stop=stop_after_five)
    assert result.status == "cancelled" and result.steps_done == 5 and len(result.history) == 5
    # A stopped run is still measured: its accuracy is the plain count on the held-out images.
    ds = load_dataset("digits", size=8, in_channels=1, seed=0)
    with torch.no_grad():
        predictions = torch.cat([result.model.eval()(x).argmax(1) for x in ds.x_test.split(50)])
    assert result.test_acc == pytest.approx((predictions == ds.y_test).float().mean().item())


def test_the_sink_sees_every_record_and_the_result_is_whole():
    class Seen(MemorySink):
        finished = None

        def finish(self, result):
            self.finished = (result.seconds, result.steps_done, result.status)
            super().finish(result)

    sink = Seen()
    result = train(TINY, tiny_train(steps=6), sink=sink)
    assert [r.step for r in sink.history] == [1, 2, 3, 4, 5, 6] and sink.history == result.history
    assert all(r.total_steps == 6 for r in sink.history)
    # The sink is handed the finished result: its time is measured, not a placeholder filled in later.
    assert sink.finished == (result.seconds, 6, "finished") and result.seconds >= sink.history[-1].seconds > 0


def test_epochs_set_the_number_of_steps():
    cfg = tiny_train(epochs=2, batch_size=500)
    n_train = len(load_dataset("digits", size=8, in_channels=1).y_train)
    assert planned_steps(cfg, n_train) == 2 * (n_train // 500)
    assert train(TINY, cfg).steps_done == 2 * (n_train // 500)


def test_the_data_follows_the_model_config():
    rgb16 = arch_config("resnet20", base_width=4, input_size=16, in_channels=3)
    assert train(rgb16, tiny_train(steps=2)).status == "finished"
    with pytest.raises(ConfigError, match="10 classes"):
        train(rgb16.replace(num_classes=5), tiny_train(steps=2))


def test_seeded_build_ignores_the_global_rng():
    torch.manual_seed(123)
    a = build_seeded(TINY, 4)
    torch.randn(1000)
    b = build_seeded(TINY, 4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_evaluate_matches_a_hand_count_and_restores_training_mode():
    torch.manual_seed(0)
    model = build_model(TINY).train()
    model.head.eval()   # a mixed state must come back as it was
    x, y = torch.randn(10, 1, 8, 8), torch.arange(10)
    loss, acc = evaluate(model, x, y, batch=3)   # batches of 3, 3, 3, 1: the sums must add up
    assert model.training and not model.head.training
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():
        logits = reference(x)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())


class ListSink:
    """A sink that notes every call, to check the engine's side of the interface."""

    def __init__(self):
        self.calls = []

    def start(self, **run):
        self.calls.append(("start", run["total_steps"]))

    def step(self, record):
        self.calls.append(("step", record.step))

    def eval(self, record):
        self.calls.append(("eval", record.step))

    def stats(self, record):
        self.calls.append(("stats", record.step))

    def finish(self, result):
        self.calls.append(("finish", result.status))

    def close(self):
        self.calls.append(("close",))


def test_a_sink_of_ones_own_gets_every_record_in_order():
    sink = ListSink()
    result = train(TINY, tiny_train(steps=6), sink=sink)
    assert sink.calls[0] == ("start", 6) and sink.calls[-2:] == [("finish", "finished"), ("close",)]
    assert [s for kind, *s in sink.calls if kind == "step"] == [[1], [2], [3], [4], [5], [6]]
    assert [s for kind, *s in sink.calls if kind == "eval"] == [[5], [6]]
    assert [s for kind, *s in sink.calls if kind == "stats"] == [[1], [5], [6]]
    assert result.history == []   # the records went to the sink, not the result


def test_a_sink_is_closed_when_the_run_raises():
    sink = ListSink()

    def stop_by_raising():
        raise RuntimeError("the page went away")

    with pytest.raises(RuntimeError):
        train(TINY, tiny_train(steps=6), should_stop=stop_by_raising, sink=sink)
    assert sink.calls == [("start", 6), ("close",)]
