"""Predict, then observe under AppTest, in both languages: alone (predict, run, compare); in class
(the teacher opens, students vote and change their vote, closing stops votes, the reveal reaches
students only when the teacher reveals); open/close/reveal refused on the server for a student."""


import pytest
from apptest_helpers import APP, assert_clean, own_store, wait_runs_ended
from streamlit.testing.v1 import AppTest

from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.store.groups import PREDICT
from resnet_core.store.runs import RunStore
from resnet_core.predict.votes import Votes
from ui.page import i18n, nav
from ui.predict import rounds
from ui.users import teacher_key

KEY = "a teacher's long phrase"
ANA, BOB, TEACHER = "a" * 16, "b" * 16, "c" * 16


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with own_store(tmp_path_factory, "predict") as path:
        yield path


def open_predict(owner: str, lang: str = "en", state: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"lang": lang, "u": owner})
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(nav.file_of("predict")).run()
    assert_clean(at)
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def wait_result(at: AppTest, votes: Votes, run_id: int, timeout: float = 120) -> AppTest:
    wait_runs_ended(votes.store, [run_id], timeout, "the measuring run did not end")
    return at.run()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_alone_predict_run_and_compare(db, lang, monkeypatch):
    monkeypatch.delenv(teacher_key.KEY_ENV, raising=False)
    at = open_predict(f"alone{lang}00000", lang, {"predict_question": "macs"})
    assert at.title[0].value == ("Predict, then observe" if lang == "en" else "예측하고 확인하기")
    # The picker names the question by its topic (a whole question does not fit a phone's select);
    # the whole question is the heading below it.
    picker = at.selectbox(key="predict_question")
    assert picker.options[picker.index] == {"en": "Cost: ResNet-152 or VGG-19", "ko": "연산량: ResNet-152와 VGG-19"}[lang]
    assert len(picker.options) == len(set(picker.options)) > 1
    assert f"### {i18n.table()['predict.q.macs'][lang]}" in [m.value for m in at.markdown]
    run = next(b for b in at.button if b.key == "predict_run")
    assert run.disabled                      # predict first
    label = "ResNet-152"
    button(at, label).click().run()
    assert "ResNet-152" in " ".join(m.value for m in at.markdown)
    next(b for b in at.button if b.key == "predict_run").click().run()
    votes = Votes(RunStore(db))
    run_id = at.session_state["_predict_run_macs"]
    at = wait_result(at, votes, run_id)
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "VGG-19" in text and "19.6" in text and "11.3" in text
    assert ("You predicted" if lang == "en" else "내가 고른 답") in text
    # The same setup again is reused, not queued a second time.
    assert votes.stored_result("macs", {"archs": ["resnet152", "vgg19"]})[0] == run_id


def test_class_round_teacher_only_votes_and_reveal(db, monkeypatch):
    monkeypatch.setenv(teacher_key.KEY_ENV, KEY)
    monkeypatch.setattr(teacher_key, "MIN_INTERVAL", 0.0)
    votes = Votes(RunStore(db))
    # A student cannot open a round: refused on the server, with a message, nothing written.
    before = votes.current()
    t = AppTest.from_function(_student_tries_teacher_actions, default_timeout=60)
    t.run()
    assert not t.exception
    assert votes.current() == before

    tea = AppTest.from_file(APP, default_timeout=120)
    tea.query_params.update({"lang": "en", "u": TEACHER})
    tea.run()
    tea.text_input(key="teacher_key_input").input(KEY)
    next(b for b in tea.button if b.label == "Unlock").click()
    tea.run()
    tea.switch_page(nav.file_of("predict")).run()
    assert_clean(tea)
    tea.session_state["predict_teacher_question"] = "macs"
    tea.run()
    # The teacher's picker names the topic, and the whole question shows below it before it opens.
    assert tea.selectbox(key="predict_teacher_question").options[tea.selectbox(key="predict_teacher_question").index] \
        == "Cost: ResNet-152 or VGG-19"
    assert i18n.table()["predict.q.macs"]["en"] in [c.value for c in tea.caption]
    button(tea, "Open for voting").click().run()
    r = votes.current()
    assert r.question == "macs" and r.state == "open"

    rounds._changed()
    ana = open_predict(ANA, "ko")     # opened after the round: the class view, no question picker
    bob = open_predict(BOB, "en")
    assert any("선생님이 이 질문을" in i.value for i in ana.info)
    button(ana, "ResNet-152").click().run()
    button(bob, "VGG-19").click().run()
    button(bob, "ResNet-152").click().run()      # changed: still one vote
    assert votes.tally(r.id) == {"resnet152": 2, "vgg19": 0}
    assert "내 예측: **ResNet-152**" in " ".join(m.value for m in ana.markdown)

    button(tea.run(), "Close voting").click().run()
    rounds._changed()
    bob.run()
    assert any("Voting has closed" in i.value for i in bob.info)
    assert all(b.disabled for b in bob.button if b.key and b.key.startswith(f"predict_class_{r.id}"))
    button(tea, "Reveal to the class").click().run()   # nothing measured yet: refused, and said why
    assert any("no measurement to reveal yet" in w.value for w in tea.warning)
    assert votes.get_round(r.id).state == "closed"
    button(tea, "Run it").click().run()
    rnd = votes.get_round(r.id)
    tea = wait_result(tea, votes, rnd.result_run)
    bob.run()
    assert not any("What the measurement says" in m.value for m in bob.markdown)   # not before the reveal
    button(tea, "Reveal to the class").click().run()
    assert_clean(tea)
    rounds._changed()
    bob.run()
    text = " ".join(m.value for m in bob.markdown)
    assert "0 of 2 predicted right" in text and "19.6" in text
    ana.run()
    assert "2명 중 0명이 맞혔습니다" in " ".join(m.value for m in ana.markdown)
    csv_text = votes.export_csv()
    assert ANA not in csv_text and BOB not in csv_text and "voter 1" in csv_text
    assert next(b for b in tea.button if b.key == "predict_teacher_run").disabled   # measured: nothing to run
    button(tea, "End the round").click().run()
    assert votes.current() is None

    # A measurement that ended without a result (failed): the reveal is refused with "run it", and
    # Run is offered again, so the round is not left with nothing to reveal.
    button(tea.run(), "Open for voting").click().run()
    again = votes.current()
    failed = votes.store.create_task("predict", {"question": "macs", "setup": {}}, ModelConfig(), TrainConfig(),
                                     label="Measurement", group=PREDICT)
    votes.store.set_status(failed, "failed", "stopped on an unexpected error")
    votes.attach_result(again.id, failed)
    rounds._changed()
    tea.run()
    assert "failed" in " ".join(m.value for m in tea.markdown)   # its progress row says how it ended
    button(tea.run(), "Reveal to the class").click().run()
    assert any("no measurement to reveal yet" in w.value for w in tea.warning)
    assert not next(b for b in tea.button if b.key == "predict_teacher_run").disabled
    button(tea, "End the round").click().run()
    assert votes.current() is None


def _student_tries_teacher_actions():
    """A session without the key calls the teacher's actions directly: each is refused."""
    from ui.predict import rounds

    assert rounds.open_question("macs") is None
    assert rounds.set_state(1, "revealed") is False
    assert rounds.run_round(1) is None


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_vote_after_close_says_whether_a_vote_was_kept(db, lang, monkeypatch):
    """A click that reaches a closed round (closed between the page's draw and the click): "your
    vote was not changed" only to a student who has a vote; one who never voted hears that the
    choice was not counted. Neither vote is touched."""
    monkeypatch.setenv(teacher_key.KEY_ENV, KEY)
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    votes = Votes(RunStore(db))
    rid = votes.open_round("macs")
    votes.vote(rid, "macs", ANA, "vgg19")
    votes.set_state(rid, "closed")
    try:
        t = AppTest.from_function(_late_votes, args=(rid,), default_timeout=60)
        t.run()
        assert not t.exception
        kept, none = t.session_state["kept"], t.session_state["none"]
    finally:
        votes.set_state(rid, "ended")
    if lang == "en":
        assert kept == "Voting on this question has closed; your vote was not changed."
        assert none == "Voting on this question has closed; your choice was not counted."
    else:
        assert kept == "이 질문의 투표는 마감되었습니다. 내 투표는 그대로입니다."
        assert none == "이 질문의 투표는 마감되었습니다. 방금 고른 답은 반영되지 않았습니다."
    assert votes.my_vote(rid, "macs", ANA) == "vgg19" and votes.my_vote(rid, "macs", BOB) is None


def _late_votes(rid: int):
    """ANA (who voted) and then BOB (who never did) click an option of the closed round."""
    import streamlit as st

    from ui.predict import rounds

    for who, slot in (("a" * 16, "kept"), ("b" * 16, "none")):
        st.query_params["u"] = who
        rounds.cast(rid, "macs", "resnet152")
        st.session_state[slot] = st.session_state.pop(rounds._MSG)[1]
