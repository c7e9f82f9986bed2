"""The class's votes in the run store: one vote per owner and question, changed until the round
closes, tallies, CSV without ids, and archived with a fresh class store."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from resnet_core.nets.config import ConfigError, ModelConfig, TrainConfig
from resnet_core.store.archive import archive_and_clear
from resnet_core.store.runs import RunStore
from resnet_core.predict.votes import ALONE, Votes, VotingClosed


@pytest.fixture
def votes(tmp_path):
    return Votes(RunStore(tmp_path / "runs.db"))


def test_one_vote_per_owner_and_a_changed_vote_replaces_it(votes):
    r = votes.open_round("macs")
    votes.vote(r, "macs", "aaaa1111", "resnet152")
    votes.vote(r, "macs", "aaaa1111", "resnet152")   # a reloaded tab votes again: the same owner
    votes.vote(r, "macs", "bbbb2222", "resnet152")
    assert votes.tally(r) == {"resnet152": 2, "vgg19": 0}
    votes.vote(r, "macs", "aaaa1111", "vgg19")       # changed its mind
    assert votes.tally(r) == {"resnet152": 1, "vgg19": 1}
    assert votes.my_vote(r, "macs", "aaaa1111") == "vgg19"


def test_closing_stops_votes_and_keeps_the_last_one(votes):
    r = votes.open_round("bottleneck")
    votes.vote(r, "bottleneck", "aaaa1111", "5x")
    votes.set_state(r, "closed")
    with pytest.raises(VotingClosed):
        votes.vote(r, "bottleneck", "aaaa1111", "10x")
    with pytest.raises(VotingClosed):
        votes.vote(r, "bottleneck", "cccc3333", "10x")
    assert votes.tally(r) == {"2x": 0, "5x": 1, "10x": 0, "50x": 0}
    votes.set_state(r, "revealed")
    assert votes.get_round(r).state == "revealed" and votes.get_round(r).revealed is not None


def test_bad_votes_are_refused_with_a_message(votes):
    r = votes.open_round("macs")
    with pytest.raises(ConfigError, match="not an option"):
        votes.vote(r, "macs", "aaaa1111", "resnet50")
    with pytest.raises(ConfigError, match="asks macs"):
        votes.vote(r, "bottleneck", "aaaa1111", "10x")
    with pytest.raises(ConfigError, match="no question"):
        votes.open_round("no-such-question")
    with pytest.raises(ConfigError):
        votes.set_state(r, "open")
    assert votes.tally(r) == {"resnet152": 0, "vgg19": 0}


def test_a_new_round_ends_the_last_and_ending_leaves_the_class_alone(votes):
    first = votes.open_round("macs")
    second = votes.open_round("lesion")
    assert votes.get_round(first).state == "ended"
    assert votes.current().id == second and votes.current().question == "lesion"
    votes.set_state(second, "ended")
    assert votes.current() is None


def test_alone_votes_are_always_changeable_and_not_in_the_class_tally(votes):
    r = votes.open_round("macs")
    votes.set_state(r, "closed")
    votes.vote(ALONE, "macs", "aaaa1111", "resnet152")
    votes.vote(ALONE, "macs", "aaaa1111", "vgg19")
    assert votes.my_vote(ALONE, "macs", "aaaa1111") == "vgg19"
    assert votes.tally(r) == {"resnet152": 0, "vgg19": 0}


def test_concurrent_votes_are_each_counted_once(votes):
    r = votes.open_round("gap_size")
    owners = [f"owner{i:04d}" for i in range(60)]
    errors = []

    def cast(owner, i):
        try:
            votes.vote(r, "gap_size", owner, "yes" if i % 3 else "no")
            votes.vote(r, "gap_size", owner, "yes" if i % 3 else "no")
        except Exception as err:   # noqa: BLE001 - collected for the assert
            errors.append(err)

    threads = [threading.Thread(target=cast, args=(o, i)) for i, o in enumerate(owners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert votes.tally(r) == {"yes": 40, "no": 20}


def test_csv_names_no_owner_id_and_only_names_given(votes):
    r = votes.open_round("macs")
    votes.vote(r, "macs", "aaaa1111", "vgg19", name="Minji")
    votes.vote(r, "macs", "bbbb2222", "resnet152")
    run_id = votes.store.create_task("predict", {"question": "macs", "setup": {}}, ModelConfig(), TrainConfig())
    votes.store.save_result(run_id, {"answer": "vgg19"})
    votes.attach_result(r, run_id)
    text = votes.export_csv()
    assert "aaaa1111" not in text and "bbbb2222" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(x["voter"], x["name"], x["option"], x["right"]) for x in rows] == \
        [("voter 1", "Minji", "vgg19", ""), ("voter 2", "", "resnet152", "")]   # not revealed yet
    votes.set_state(r, "revealed")
    rows = list(csv.DictReader(io.StringIO(votes.export_csv())))
    assert [x["right"] for x in rows] == ["yes", "no"]


def test_a_fresh_class_store_archives_the_votes(votes):
    r = votes.open_round("macs")
    votes.vote(r, "macs", "aaaa1111", "vgg19")
    archive = archive_and_clear(votes.store)
    assert votes.current() is None and votes.tally(r) == {}   # the round went with the archive
    old = Votes(RunStore(archive))
    assert old.tally(r) == {"resnet152": 0, "vgg19": 1}
    assert votes.open_round("macs") > r   # round numbers go on counting


def test_stored_result_matches_the_setup_exactly(votes):
    store = votes.store
    run_id = store.create_task("predict", {"question": "macs", "setup": {"archs": ["resnet152", "vgg19"]},
                                           "device": "cpu"}, ModelConfig(), TrainConfig())
    assert votes.stored_result("macs", {"archs": ["resnet152", "vgg19"]}) == (run_id, "queued", None)
    store.save_result(run_id, {"answer": "vgg19"})
    store.set_status(run_id, "finished")
    assert votes.stored_result("macs", {"archs": ["resnet152", "vgg19"]})[2] == {"answer": "vgg19"}
    assert votes.stored_result("macs", {"archs": ["resnet50", "vgg19"]}) is None
    store.set_status(run_id, "failed", "boom")
    assert votes.stored_result("macs", {"archs": ["resnet152", "vgg19"]}) is None
