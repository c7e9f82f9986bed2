"""Degradation against the paper in a real browser: a finished experiment's plain-56 gap stands
beside Figure 6's few points, in both languages, and the "longer run" button (drawn inside the
page's live fragment) queues the four nets at the longer length. The longer experiment is already
in the server's store, finished by a teacher, so the request is served by it (identical requests
share one run) and nothing trains here."""

from pathlib import Path
from types import SimpleNamespace

from resnet_core.jobs import sharing
from resnet_core.store.runs import RunStore
from resnet_core.store import groups
from resnet_core.training import experiments

STUDENT = "9a9a9a9a9a9a9a9a"


def _finished(store: RunStore, owner: str, steps: int, acc: dict[str, float], width: int = 8) -> None:
    """The four nets as one finished experiment with the given final training accuracies; each run
    is remembered under its key, so an identical request is served by it."""
    experiment = None
    for label, m, tc in experiments.degradation_configs("digits", steps=steps, width=width):
        rid = store.create_run(m, tc, owner=owner, label=label, group=groups.DEGRADATION, experiment=experiment)
        experiment = store.get_run(rid).experiment
        store.start_run(rid, device="cpu", layer_names=["stem.conv"], stat_names=[], total_steps=steps)
        store.write_batch(rid, steps=[SimpleNamespace(step=s, loss=1.0, acc=acc[label], lr=0.1, seconds=0.1,
                                                      grad_norms=[1.0]) for s in (1, steps)])
        store.finish_run(rid, status="finished", seconds=1.0, steps_done=steps, final_train_loss=1.0 - acc[label],
                         final_train_acc=acc[label], test_acc=acc[label])
        sharing.remember(store, rid, sharing.run_key(m, tc))


def test_the_gap_beside_figure_6_and_the_longer_run(app_server, page, wait_for_app, wait_for_text, switch_language,
                                                    assert_no_error):
    store = RunStore(Path(app_server.log_path).parent / "runs.sqlite")
    _finished(store, STUDENT, 300, {"plain-20": 0.99, "plain-56": 0.40, "ResNet-20": 1.0, "ResNet-56": 1.0})
    _finished(store, "teach0er", experiments.DEGRADATION_LONG_STEPS,
              {"plain-20": 1.0, "plain-56": 0.49, "ResNet-20": 1.0, "ResNet-56": 1.0},
              width=experiments.DEGRADATION_LONG_WIDTH)
    page.goto(f"{app_server.url}/degradation?lang=ko&u={STUDENT}")
    wait_for_app(page)
    wait_for_text(page, "논문과 비교")
    assert "플레인-56 60.0%, 플레인-20 1.0%, 차이 59.0%p" in page.inner_text("body")
    assert "첫 스테이지의 채널 수 8, 논문은 16" in page.inner_text("body")
    assert "그림 6" in page.inner_text("body")
    switch_language(page, "en", "Degradation")
    wait_for_text(page, "Against the paper")
    body = page.inner_text("body")
    assert ("after 300 steps at width 8 (channels in the first stage), plain-56 ends at 60.0% training error and "
            "plain-20 at 1.0%: 59.0 points apart") in body
    assert_no_error(page)
    steps, width = experiments.DEGRADATION_LONG_STEPS, experiments.DEGRADATION_LONG_WIDTH
    page.get_by_role("button", name=f"Longer run at the paper's width: {steps} steps, width {width}").click()
    # The whole page reruns and submits; the teacher's finished runs serve the request.
    wait_for_text(page, f"after {steps} steps at width {width} (channels in the first stage), plain-56 ends at 51.0%")
    wait_for_text(page, "by run length and width, measured on this server")
    assert_no_error(page)
    assert page.get_by_role("button", name="Longer run", exact=False).count() == 0
    assert "narrower than the paper's" not in page.inner_text("body")
