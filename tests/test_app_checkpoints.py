"""The teacher sees the checkpoint folder (how much of the bound, what is kept) and pins
checkpoints, in both languages (ui/classroom/checkpoints.py)."""

import time

import pytest
from test_app_teacher import KEY, TEACHER, enter_key, open_app, setup  # noqa: F401  (the fixture)
from test_retention import finished_run

from resnet_core.store import retention


@pytest.mark.parametrize("lang, kept, pins", [("en", "2 kept", "Pinned checkpoints"),
                                              ("ko", "2개 보관 중", "고정한 체크포인트")])
def test_the_teacher_sees_what_is_kept_and_pins_a_checkpoint(setup, lang, kept, pins, monkeypatch):
    # Run ids start at 1 in every store: what pages of earlier tests showed must not count here.
    monkeypatch.setattr(retention, "SHOWN", retention.Shown())
    runner, _ = setup
    store = runner.store
    first = finished_run(store, "plain-20", time.time() - 50)
    second = finished_run(store, "ResNet-20", time.time() - 40)
    at = enter_key(open_app(TEACHER, lang=lang), KEY)
    caption = " ".join(c.value for c in at.caption)
    assert kept in caption and "2,048.0 MB" in caption   # the bound's default (resnet_core.settings)
    pick = at.multiselect(key="teacher_pins")
    mb = f"{retention.kept(store)[0].size / retention.MB:.1f} MB"
    assert pick.label.startswith(pins)
    plain = "plain-20" if lang == "en" else "플레인-20"   # stored in English, shown in the reader's words
    assert pick.options == [f"#{second} ResNet-20 · {mb}", f"#{first} {plain} · {mb}"]   # newest first
    pick.select(first).run()
    assert not at.exception
    assert [k.run_id for k in retention.kept(store) if k.pinned] == [first]
    at.multiselect(key="teacher_pins").unselect(first).run()
    assert not [k for k in retention.kept(store) if k.pinned]
