"""Costs before the click: the estimate from multiply-adds x batch x steps, learned from this
server's finished runs, and the per-run cap refused at submit with a message that says what to
reduce. Also the teacher's runner controls: pause, clear the queue, a fresh class store."""

import sqlite3

import pytest
from test_jobs import Gate, wait_for

from resnet_core import arch_config
from resnet_core.jobs.runner import JobRunner, Paused, QueueFull
from resnet_core.nets import flops
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training.costs import DEFAULT_SPEED, Estimator, RunTooLong, Speed, planned_steps

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=12, batch_size=32, device="cpu")
SPEED = {"cpu": Speed(fixed_s=2.0, per_step_s=0.01, macs_per_s=1e9), "cuda": DEFAULT_SPEED["cuda"]}


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


def test_the_estimate_is_macs_times_batch_times_steps_at_the_default_rate():
    est = Estimator(speeds=SPEED).estimate(MODEL, TRAIN.replace(steps=1000, batch_size=64), "cpu")
    macs = flops.count(MODEL).macs
    assert est.macs_per_image == macs and est.work == macs * 64 * 1000
    assert est.seconds == pytest.approx(2.0 + 1000 * 0.01 + macs * 64 * 1000 / 1e9)
    assert est.learned_from == 0 and est.device == "cpu"
    deeper = Estimator(speeds=SPEED).estimate(MODEL.replace(depth=56), TRAIN.replace(steps=1000, batch_size=64))
    assert deeper.seconds > est.seconds


def test_epochs_count_the_dataset():
    cfg = TrainConfig(dataset="digits", epochs=2, batch_size=100, holdout_fraction=0.2)
    assert planned_steps(cfg) == 2 * (int(1797 * 0.8) // 100)
    assert planned_steps(cfg.replace(max_samples=500)) == 2 * (400 // 100)


def test_the_estimate_learns_this_servers_speed(store):
    est = Estimator(store, SPEED)
    first = est.estimate(MODEL, TRAIN)
    for measured in (3.0, 3.2, 50.0):   # this server is about three times slower than the guess
        rid = store.create_run(MODEL, TRAIN, estimate_s=first.seconds, guess_s=first.base_seconds)
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=12)
        store.finish_run(rid, status="finished", seconds=measured * first.base_seconds, steps_done=12,
                         final_train_loss=1.0, final_train_acc=0.5, test_acc=0.5)
    est.forget()
    learned = est.estimate(MODEL, TRAIN)
    assert learned.learned_from == 3
    assert learned.seconds == pytest.approx(3.2 * first.seconds)       # the median: one slow run barely counts
    assert learned.macs_per_s == pytest.approx(1e9 / 3.2)
    assert store.get_run(rid).estimate_s == pytest.approx(first.seconds)


def test_a_store_from_before_the_estimates_gets_the_columns(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, started REAL,"
                 " finished REAL, status TEXT NOT NULL, owner TEXT NOT NULL, label TEXT NOT NULL, grp TEXT NOT NULL,"
                 " model_cfg TEXT NOT NULL, train_cfg TEXT NOT NULL, seed INTEGER NOT NULL,"
                 " device TEXT NOT NULL DEFAULT '', versions TEXT NOT NULL DEFAULT '{}', host TEXT NOT NULL DEFAULT '',"
                 " pid INTEGER NOT NULL DEFAULT 0, seconds REAL, error TEXT NOT NULL DEFAULT '',"
                 " layer_names TEXT NOT NULL DEFAULT '[]', stat_names TEXT NOT NULL DEFAULT '[]',"
                 " total_steps INTEGER NOT NULL DEFAULT 0, steps_done INTEGER NOT NULL DEFAULT 0,"
                 " final_train_loss REAL, final_train_acc REAL, test_acc REAL, checkpoint TEXT NOT NULL DEFAULT '')")
    conn.commit()
    conn.close()
    store = RunStore(path)
    RunStore(path)   # opening it again (another process) finds the columns there
    rid = store.create_run(MODEL, TRAIN, estimate_s=4.0, guess_s=2.0)
    assert store.get_run(rid).estimate_s == 4.0 and store.timings() == []


def test_a_run_above_the_cap_is_refused_with_what_to_reduce(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate, max_run_seconds=60)
    runner.estimator = Estimator(store, SPEED)
    try:
        ok = runner.submit(MODEL, TRAIN, owner="ana")
        assert 0 < store.get_run(ok).estimate_s < 60
        big = MODEL.replace(depth=110, base_width=16, input_size=32)
        before = len(store.list_runs())
        with pytest.raises(RunTooLong) as err:
            runner.submit_many([("small", MODEL, TRAIN), ("big", big, TRAIN.replace(steps=5000))], owner="ana")
        msg = str(err.value)
        assert msg.startswith("big: this run would take about") and "60 s at most" in msg
        for what in ("steps (5,000)", "depth (110)", "width (16)", "input size (32 px)"):
            assert what in msg
        assert err.value.estimate.seconds > 60 and err.value.limit == 60
        assert len(store.list_runs()) == before            # all or nothing: the small one was not queued
    finally:
        gate.release.set()
        runner.shutdown()


def test_a_refusal_just_over_the_cap_does_not_read_as_equal():
    from resnet_core.training.costs import Estimate

    est = Estimate(seconds=1800.3, steps=100, macs_per_image=1, work=1.0, device="cpu", learned_from=0,
                   macs_per_s=1.0, base_seconds=1800.3)
    msg = str(RunTooLong(est, 1800, MODEL, TRAIN))
    assert "about 1,800.3 s" in msg and "1,800.0 s at most" in msg
    est = Estimate(seconds=2400.2, steps=100, macs_per_image=1, work=1.0, device="cpu", learned_from=0,
                   macs_per_s=1.0, base_seconds=2400.2)
    assert "about 2,400 s" in str(RunTooLong(est, 1800, MODEL, TRAIN))


def test_pause_refuses_new_runs_with_the_teachers_message(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana")
        runner.pause("eyes on the projector")
        with pytest.raises(Paused) as err:
            runner.submit(MODEL, TRAIN, owner="bob")
        assert err.value.message == "eyes on the projector" and isinstance(err.value, QueueFull)
        assert "eyes on the projector" in str(err.value)
        assert runner.job(running).status in ("queued", "running")   # what was in carries on
        runner.resume()
        assert runner.submit(MODEL, TRAIN, owner="bob")
    finally:
        gate.release.set()
        runner.shutdown()


def test_clear_queue_cancels_the_waiting_runs_only(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana")
        wait_for(lambda: gate.started == [running])
        waiting = runner.submit_many([("x", MODEL, TRAIN)] * 3, owner="bob")
        assert runner.clear_queue() == 3 and runner.queue_length() == 0
        assert {store.get_run(j).status for j in waiting} == {"cancelled"}
        assert "teacher" in store.get_run(waiting[0]).error
        assert runner.job(running).status == "running"
    finally:
        gate.release.set()
        runner.shutdown()


def test_a_fresh_store_archives_the_old_one(store, tmp_path):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana", label="old run")
        wait_for(lambda: gate.started == [running])
        waiting = runner.submit(MODEL, TRAIN, owner="bob")
        store.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        (store.checkpoint_dir / "run-1.json").write_text("{}")
        archive = runner.fresh_store(timeout=10)
        assert archive.exists() and archive.parent == tmp_path and archive.name.startswith("runs-")
        assert store.path.exists() and store.list_runs() == []
        old = RunStore(archive)
        assert {r.id for r in old.list_runs()} == {running, waiting}
        assert old.get_run(running).status == "cancelled" and old.get_run(running).label == "old run"
        assert (old.checkpoint_dir / "run-1.json").exists() and not store.checkpoint_dir.exists()
        assert runner.paused is None
        new = runner.submit(MODEL, TRAIN, owner="cy")
        assert new > waiting                              # ids never repeat across classes
        assert store.owner_number("cy") == 1
    finally:
        gate.release.set()
        runner.shutdown()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_while_a_new_class_starts_the_pause_is_not_said_as_the_teachers_words(store, monkeypatch, lang):
    """fresh_store pauses the queue with its own reason; the pause banner says that in the
    reader's language, never "The teacher has paused new runs: a new class is starting"."""
    from resnet_core.store import archive
    from ui.page import i18n
    from ui.users.follow import pause_text

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    runner, seen = JobRunner(store, train_fn=Gate()), []
    real = archive.archive_and_clear
    monkeypatch.setattr(archive, "archive_and_clear", lambda s: seen.append(pause_text(runner.paused)) or real(s))
    try:
        runner.fresh_store(timeout=10)
    finally:
        runner.shutdown()
    assert seen == ["A new class is starting; try again in a moment." if lang == "en" else
                    "새 수업을 시작하는 중입니다. 잠시 뒤에 다시 시도해 주세요."]
    assert pause_text("Eyes on the projector") == ("The teacher has paused new runs: Eyes on the projector" if lang == "en"
                                                   else "선생님이 새 학습을 잠시 멈춰 두었습니다: Eyes on the projector")


def test_owners_are_numbered_in_order_of_their_first_run(store):
    for who in ("b", "a", "b", "c"):
        store.create_run(MODEL, TRAIN, owner=who)
    assert [store.owner_number(w) for w in ("b", "a", "c", "nobody")] == [1, 2, 3, 0]


# --- the fitted model: per-layer launches and per-MAC arithmetic, per kind of device ----------

NETS = [arch_config(f"resnet{d}", base_width=w, input_size=s, in_channels=1)
        for d, w, s in [(8, 4, 8), (20, 8, 8), (56, 4, 8), (110, 4, 8), (20, 16, 32), (56, 16, 16), (32, 8, 32)]]


def _finish(store, model, train, device, seconds, guess):
    rid = store.create_run(model, train, estimate_s=guess, guess_s=guess)
    store.start_run(rid, device=device, layer_names=[], stat_names=[], total_steps=train.steps)
    store.finish_run(rid, status="finished", seconds=seconds, steps_done=train.steps, final_train_loss=1.0,
                     final_train_acc=0.5, test_acc=0.5)


@pytest.mark.parametrize("kind,truth", [
    # a launch-bound GPU: 0.2 ms a layer each step, arithmetic nearly free
    ("cuda", Speed(fixed_s=5.0, per_step_s=0.003, macs_per_s=5e12, per_layer_s=2e-4)),
    # a CPU: arithmetic-bound, launches free
    ("cpu", Speed(fixed_s=3.0, per_step_s=0.01, macs_per_s=3e9, per_layer_s=0.0)),
])
def test_costs_are_fitted_to_runs_of_different_shapes(store, kind, truth):
    from resnet_core.training.costs import base_seconds, macs_per_image, weighted_layers

    train = TRAIN.replace(steps=200, batch_size=64, device=kind if kind == "cpu" else "auto")
    est = Estimator(store)
    for model in NETS:
        work = macs_per_image(model) * 64 * 200.0
        _finish(store, model, train, kind, base_seconds(truth, 200, work, weighted_layers(model)), 1.0)
    est.forget()
    speed, runs = est.fitted(kind)
    assert runs == len(NETS)
    assert speed.per_layer_s == pytest.approx(truth.per_layer_s, abs=1e-7)
    assert speed.macs_per_s == pytest.approx(truth.macs_per_s, rel=1e-3)
    deep_small = arch_config("resnet110", base_width=4, input_size=8, in_channels=1)
    got = est.estimate(deep_small, TRAIN.replace(steps=1000, batch_size=64, device="auto"), kind)
    want = base_seconds(truth, 1000, macs_per_image(deep_small) * 64 * 1000.0, weighted_layers(deep_small))
    assert got.seconds == pytest.approx(want, rel=1e-3) and got.learned_from == len(NETS)


def test_the_default_gpu_guess_counts_launches():
    """A deep small net on a GPU costs more than its arithmetic; a shallow wide one, less."""
    deep = arch_config("resnet110", base_width=4, input_size=8, in_channels=1)
    est = Estimator().estimate(deep, TRAIN.replace(steps=1000, batch_size=64, device="cuda"))
    flat = DEFAULT_SPEED["cuda"].fixed_s + 1000 * DEFAULT_SPEED["cuda"].per_step_s + est.work / 1e12
    assert est.seconds > flat + 1000 * 100 * DEFAULT_SPEED["cuda"].per_layer_s


def test_too_few_or_alike_runs_are_rescaled_not_fitted(store):
    from resnet_core.training.costs import fit_speed

    same = [(100, 21, 1e9, 2.0)] * 8           # one shape eight times: the two costs cannot be told apart
    assert fit_speed(DEFAULT_SPEED["cpu"], same) is None
    assert fit_speed(DEFAULT_SPEED["cpu"], [(100, 21, 1e9, 2.0), (100, 57, 3e9, 4.0)]) is None


def test_runs_are_priced_on_the_device_the_executor_gives_them(store):
    """A CPU-only web server in front of GPU workers prices runs at GPU speed."""
    class GpuWorkers:
        slots, device = 1, "cuda"

        def run(self, spec, control):
            return "finished", ""

        def shutdown(self):
            pass

    runner = JobRunner(store, executor=GpuWorkers())
    try:
        assert runner.runs_on == "cuda"
        job = runner.submit(MODEL, TRAIN.replace(device="auto"))
        on_gpu = Estimator().estimate(MODEL, TRAIN.replace(device="auto"), "cuda")
        assert on_gpu.device == "cuda"
        assert store.get_run(job).estimate_s == pytest.approx(on_gpu.seconds)
        assert on_gpu.seconds != pytest.approx(Estimator().estimate(MODEL, TRAIN, "cpu").seconds)
    finally:
        runner.shutdown()


def _finished(store, model, train, seconds, est, steps_done=None):
    rid = store.create_run(model, train, estimate_s=est.seconds, guess_s=est.base_seconds)
    store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=train.steps)
    store.finish_run(rid, status="finished", seconds=seconds, steps_done=train.steps if steps_done is None else steps_done,
                     final_train_loss=1.0, final_train_acc=0.5, test_acc=0.5)


def test_runs_of_exactly_this_size_give_their_median_time_not_a_fit_inflated_by_busy_runs(store):
    est = Estimator(store, SPEED)
    first = est.estimate(MODEL, TRAIN)
    deeper = MODEL.replace(depth=56)
    for i in range(8):   # other sizes, trained while the server was busy: 20x the guess
        other = TRAIN.replace(steps=16 + 4 * i)
        _finished(store, deeper if i % 2 else MODEL, other, 20 * est.estimate(MODEL, other).base_seconds, first)
    est.forget()
    inflated = est.estimate(MODEL, TRAIN)
    assert inflated.same_size == 0 and inflated.seconds > 5 * first.seconds   # the model of all sizes, busy runs and all
    for seed, seconds in ((1, 2.0), (2, 9.0), (3, 2.4)):   # this size, any seed
        _finished(store, MODEL, TRAIN.replace(seed=seed), seconds, first)
    _finished(store, MODEL, TRAIN, 0.1, first, steps_done=3)   # stopped early: not a whole run's time
    est.forget()
    measured = est.estimate(MODEL, TRAIN.replace(seed=7))
    assert measured.same_size == 3 and measured.seconds == pytest.approx(2.4)
    assert est.estimate(deeper, TRAIN).same_size == 0   # another net is another size
    assert est.estimate(MODEL, TRAIN.replace(steps=13)).same_size == 0


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_caption_says_what_the_figure_is(lang):
    from resnet_core.text import render
    from ui.page.i18n import table

    def said(key, **values):
        return render(table()[key][lang], lang, **values)

    assert "3" in said("estimates.same_size", n=3)
    assert ("median" if lang == "en" else "중앙값") in said("estimates.same_size", n=3)
    assert ("last run" if lang == "en" else "가장 최근 학습") in said("estimates.same_size_one")
    with_three = type("E", (), {"same_size": 3, "learned_from": 9})()
    from ui.training import estimates
    assert estimates.basis_text(with_three) == render(table()["estimates.same_size"]["en"], "en", n=3)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_plan_of_several_runs_says_which_figures_are_medians(lang, monkeypatch):
    """Degradation trains four nets: when only some of them ran here before, the caption says how
    many of its figures are medians of runs of their size and what the rest come from."""
    from resnet_core.text import render
    from ui.page import i18n
    from ui.training import estimates

    monkeypatch.setattr(estimates, "t", lambda key, **values: render(i18n.table()[key][lang], lang, **values))

    def plan(*same, learned=9):
        return [type("E", (), {"same_size": s, "learned_from": learned, "seconds": 10.0 + i})()
                for i, s in enumerate(same)]

    some = estimates.plan_basis_text(plan(3, 0, 2, 0))
    assert ("for 2 of the 4 runs" if lang == "en" else "학습 4개 가운데 2개는") in some
    assert "9" in some and ("median" if lang == "en" else "중앙값") in some
    guess = estimates.plan_basis_text(plan(3, 0, 0, 0, learned=0))
    assert ("for 1 of the 4 runs" if lang == "en" else "학습 4개 가운데 1개는") in guess
    assert ("first guess" if lang == "en" else "첫 추정") in guess
    each = estimates.plan_basis_text(plan(3, 1, 5, 2))
    assert ("for each run" if lang == "en" else "학습마다") in each
    none = estimates.plan_basis_text(plan(0, 0))
    assert none == render(i18n.table()["costs.measured"][lang], lang, n=9)
    assert ("median" if lang == "en" else "중앙값") not in none
    one = estimates.plan_basis_text(plan(3))
    assert one == render(i18n.table()["estimates.same_size"][lang], lang, n=3)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_run_refused_for_its_time_never_reads_as_the_cap(monkeypatch, lang):
    """Refused at 30.3 min against a 30 min cap: the estimate shows the decimal that puts it above."""
    from ui.page import i18n
    from ui.training.estimates import over_text, seconds_text

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    assert seconds_text(1820) == seconds_text(1800)          # what the sentence said before: both "30 min"
    assert over_text(1820, 1800) == ("30.3 min" if lang == "en" else "30.3분")
    assert over_text(3000, 1800) == seconds_text(3000)        # apart already: unchanged
    assert over_text(7300, 7200) == ("2.03 h" if lang == "en" else "2.03시간")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_refusal_for_too_many_waiting_runs_shows_the_runs_asked_for(monkeypatch, lang):
    """The check is waiting + asked > limit: 5 waiting and 4 asked against 8 must show the 4, or
    "5 waiting, 8 at most" reads as no reason at all."""
    from types import SimpleNamespace

    from resnet_core.jobs.runner import OwnerLimit
    from ui.page import i18n
    from ui.training import page_runs

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    said = []
    monkeypatch.setattr(page_runs, "runner", lambda: SimpleNamespace(waiting_for=lambda uid: 5, per_owner=8))
    monkeypatch.setattr(page_runs, "st", SimpleNamespace(warning=lambda text, icon=None: said.append(text)))
    page_runs.queue_refusal(OwnerLimit("8 runs waiting"), "abcd", asked=4)
    assert said == ["Runs you have waiting: 5, and this would add 4; one person may have 8 waiting at most, so that "
                    "everyone gets a turn. Wait for some to start, or stop some." if lang == "en" else
                    "이미 대기 중인 학습이 5개인데, 이번 요청으로 4개가 더 늘어납니다. 모두가 차례를 얻도록 한 사람당 최대 "
                    "8개까지만 기다릴 수 있습니다. 대기 중인 학습이 시작되기를 기다리거나 몇 개를 멈춰 주세요."]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_refusal_gives_the_runs_the_check_counted_not_those_an_equal_run_serves(store, monkeypatch, lang):
    """Four runs asked, one of them served by an equal run already here (it takes no place): the
    queue checks the three others, so the sentence says 3, and the waiting it counted, not 4."""
    from types import SimpleNamespace

    from resnet_core.jobs.runner import OwnerLimit
    from ui.page import i18n
    from ui.training import page_runs

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    gate = Gate()
    runner = JobRunner(store, train_fn=gate, max_queue=4, per_owner=3)
    plan = [(f"n{w}", MODEL.replace(base_width=w), TRAIN) for w in (4, 5, 6, 7)]
    said = []
    monkeypatch.setattr(page_runs, "st", SimpleNamespace(warning=lambda text, icon=None: said.append(text)))
    try:
        first = runner.submit(MODEL, TRAIN, owner="ana")        # the same as plan[0]: it serves it
        wait_for(lambda: gate.started == [first])
        runner.submit(MODEL.replace(base_width=9), TRAIN, owner="ana")   # ana: 1 waiting
        with pytest.raises(OwnerLimit) as refused:
            runner.submit_many(plan, owner="ana", share=True)
        assert (refused.value.waiting, refused.value.asked) == (1, 3)
        monkeypatch.setattr(page_runs, "runner", lambda: SimpleNamespace(waiting_for=lambda uid: 0, per_owner=3))
        page_runs.queue_refusal(refused.value, "ana", asked=len(plan))
        runner.submit_many([("x", MODEL.replace(base_width=10), TRAIN)] * 2, owner="bob")   # 3 of 4 places taken
        with pytest.raises(QueueFull) as full:
            runner.submit_many(plan, owner="cy", share=True)
        assert (full.value.waiting, full.value.asked) == (3, 3)
        monkeypatch.setattr(page_runs, "runner", lambda: SimpleNamespace(queue_length=lambda: 0, max_queue=4))
        page_runs.queue_refusal(full.value, "cy", asked=len(plan))
    finally:
        gate.release.set()
        runner.shutdown()
    assert said == (["Runs you have waiting: 1, and this would add 3; one person may have 3 waiting at most, so that "
                     "everyone gets a turn. Wait for some to start, or stop some.",
                     "The training queue has no room for this request (3 of 4 places taken; this request needs 3). Try "
                     "again when some of the waiting runs have started."] if lang == "en" else
                    ["이미 대기 중인 학습이 1개인데, 이번 요청으로 3개가 더 늘어납니다. 모두가 차례를 얻도록 한 사람당 최대 "
                     "3개까지만 기다릴 수 있습니다. 대기 중인 학습이 시작되기를 기다리거나 몇 개를 멈춰 주세요.",
                     "학습 대기열에 이 요청을 받을 자리가 없습니다 (4자리 중 3자리 사용 중, 이 요청에 필요한 자리 3개). 기다리던 학습 몇 개가 "
                     "시작된 뒤에 다시 시도해 주세요."])
