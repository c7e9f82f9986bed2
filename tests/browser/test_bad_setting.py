"""A server started with a setting it does not allow (RESNET_EXPLORER_WORKERS=abc), in Chromium:
the page names the variable, what it allows and what it got, in English and in Korean, and shows
no traceback (resnet_core/settings.py, app.py)."""

import pytest

import harness


@pytest.fixture(scope="module")
def bad_server(tmp_path_factory, chromium):
    server = harness.start_app(tmp_path_factory.mktemp("bad-setting"), warm=False,
                               settings={"RESNET_EXPLORER_WORKERS": "abc"})
    yield server
    server.stop()


@pytest.mark.parametrize("lang, says", [
    ("en", "This server cannot start: RESNET_EXPLORER_WORKERS must be a whole number from 0 to 1024 "
           "(got 'abc'). Whoever runs the server can change the setting."),
    ("ko", "이 서버의 설정값 가운데 허용되지 않는 값이 있어 앱을 시작할 수 없습니다: RESNET_EXPLORER_WORKERS 값은 "
           "0부터 1024까지의 정수여야 합니다 (입력: 'abc'). 서버를 운영하는 분이 설정을 고쳐야 합니다."),
])
def test_a_bad_setting_is_named_on_the_page_in_both_languages(bad_server, new_page, lang, says):
    page = new_page()
    harness.open_page(page, bad_server.url, "home", lang)
    harness.wait_for_text(page, "RESNET_EXPLORER_WORKERS", '[data-testid="stAlertContentError"]')
    alerts = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    assert len(alerts) == 1 and " ".join(alerts[0].split()).removeprefix("tune ") == says   # after its icon
    body = page.inner_text("body")
    assert "Traceback" not in body and "ConfigError" not in body
    assert "Traceback" not in bad_server.log_tail()
