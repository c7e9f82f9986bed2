"""The Loss landscape page under AppTest: a finished pair and its slices are drawn side by side
on one colour scale, in both languages."""

import pytest
from apptest_helpers import figures, open_page, own_store
from study_helpers import finished_pair, finished_study

from resnet_core.store.runs import RunStore

PARAMS = {"grid": 11, "points_1d": 41, "span": 1.0, "seed": 0, "max_images": 512}


@pytest.fixture(scope="module")
def studied(tmp_path_factory):
    with own_store(tmp_path_factory, "landscape") as db:
        store = RunStore(db)
        ids = finished_pair(store)
        yield store, ids, finished_study(store, "landscape", {**PARAMS, "run_ids": ids})


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_slices_side_by_side_on_one_colour_scale(studied, lang):
    at = open_page("landscape", lang, owner="land0stu", state={"landscape_grid": 11})
    figs = figures(at)
    assert len(figs) == 2
    line, surface = figs
    assert [tr["type"] for tr in line["data"]] == ["scatter", "scatter"]
    contours = [tr for tr in surface["data"] if tr["type"] == "contour"]
    assert len(contours) == 2
    assert contours[0]["zmin"] == contours[1]["zmin"] and contours[0]["zmax"] == contours[1]["zmax"]
    assert len(at.table) == 1
    names = " ".join(str(v) for v in at.table[0].value.iloc[:, 0])
    assert ("plain-" in names) == (lang == "en") and ("플레인-" in names) == (lang == "ko")


def test_other_settings_offer_to_compute(studied):
    at = open_page("landscape", owner="land0new", state={"landscape_grid": 21})
    assert at.button(key="landscape_run_study")
    assert len(figures(at)) == 0
