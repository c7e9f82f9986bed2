"""The start buttons of GAP vs FC's and Evidence's experiments (ui.training.experiment_panel.start, as on
Shortcuts and BatchNorm): one click queues the section's nets as one experiment, its runs show
live, and the button stays disabled until they end, so a double click in a busy classroom does
not queue the same nets twice."""

import pytest
from apptest_helpers import open_page, own_store, progress_bars

from resnet_core.jobs import runner as jobs
from resnet_core.jobs.runner import JobRunner
from resnet_core.training import experiments

# (page, the section to show, the button's key, the nets one click queues)
BUTTONS = [
    ("gap-fc", {}, "gap_fc_train", 2),
    ("evidence", {"evidence_section": "alexnet"}, "evidence_alex_train", 2),
    ("evidence", {"evidence_section": "fig7"}, "evidence_fig7_train", len(experiments.degradation_configs("digits"))),
]


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    with own_store(tmp_path_factory, "buttons"):
        yield jobs.get_runner()


@pytest.mark.parametrize(("page", "state", "key", "nets"), BUTTONS, ids=[b[2] for b in BUTTONS])
def test_one_click_queues_one_experiment_and_waits_for_it(runner, monkeypatch, page, state, key, nets):
    def queue_only(self, runs, *, owner="", group="", display_name="", **_):
        # Recorded as queued, never trained: the page sees its experiment still going.
        experiment = None
        ids = []
        for label, m, tc in runs:
            ids.append(self.store.create_run(m, tc, owner=owner, label=label, group=group, experiment=experiment))
            experiment = self.store.get_run(ids[-1]).experiment
        return ids

    monkeypatch.setattr(JobRunner, "submit_many", queue_only)
    owner = key.replace("_", "")   # a user of its own per button
    at = open_page(page, owner=owner, state=state)
    assert not at.button(key=key).disabled
    at.button(key=key).click().run()
    queued = [r for r in runner.store.list_runs() if r.owner == owner]
    try:
        assert not at.exception and not at.error
        assert len(queued) == nets and len({r.experiment for r in queued}) == 1
        assert at.button(key=key).disabled, "a second click would queue the same nets again"
        assert [pct for *_, pct in progress_bars(at)] == [0.0] * nets
    finally:
        for r in queued:
            runner.store.set_status(r.id, "cancelled")
    at.run()
    assert not at.button(key=key).disabled
