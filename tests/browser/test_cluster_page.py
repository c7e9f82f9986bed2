"""A server started with RESNET_EXPLORER_RAY_ADDRESS pointing at a port with nothing behind it,
in Chromium. Before, every page spun for 30 s and ended blank (the Ray Client's connection
timeout, raised from the page's first call for the job runner), and again on every visit. Now
Home draws at once and without a word of the cluster, and Build & Train says which cluster
cannot be reached and why, and that a run waits for it, in English and in Korean."""

import time

import pytest

import harness
from ray_head import refused_port

ADDRESS = f"ray://127.0.0.1:{refused_port()}"


@pytest.fixture(scope="module")
def cluster_server(tmp_path_factory, chromium):
    yield from harness.served(tmp_path_factory, "cluster", {"RESNET_EXPLORER_RAY_ADDRESS": ADDRESS})


def test_home_draws_at_once_and_build_says_the_cluster_cannot_be_reached(cluster_server, new_page):
    page = new_page()
    began = time.monotonic()
    harness.open_page(page, cluster_server.url, "home", "en")
    took = time.monotonic() - began
    harness.assert_no_error(page)
    body = page.inner_text("body")
    assert "Why residual networks work" in body and ADDRESS not in body
    # Ray Client's own timeout was 30 s; a page's first load here takes a few seconds.
    assert took < 25, f"Home took {took:.1f} s with the cluster away"

    harness.open_page(page, cluster_server.url, "build", "en")
    harness.assert_no_error(page)
    alert = page.locator('[data-testid="stAlertContentWarning"]', has_text=ADDRESS)
    text = alert.inner_text()
    assert f"The training cluster at {ADDRESS} cannot be reached: nothing answers at" in text
    assert "Connection refused" in text and "wait in the queue" in text

    harness.switch_language(page, "ko", "만들고 학습하기")
    harness.assert_no_error(page)
    text = page.locator('[data-testid="stAlertContentWarning"]', has_text=ADDRESS).inner_text()
    # What Ray said is framed in Korean too (assets/i18n/cluster.json: err.cluster_no_answer).
    assert f"학습 클러스터({ADDRESS})에 연결할 수 없습니다: {ADDRESS.removeprefix('ray://')}에서 아무것도 응답하지" in text
    assert "대기열에서 기다렸다가" in text
