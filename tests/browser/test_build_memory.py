"""Build & Train in a real browser: a 224-px ResNet-152 at batch 512, set up by link, is flagged
before the click and refused at it by this server's real memory (80 % of what /proc/meminfo says is available), with
its numbers and what to reduce, in English and in Korean; nothing is queued and no traceback shows."""

import pytest

from resnet_core import ModelConfig, TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training import memory

# The Build page's widgets by their address names (ui/links.py): ImageNet family, 152 layers.
SETUP = "family=imagenet&block=bottleneck&depth_imagenet=152&input_imagenet=224&batch=512"
HUGE = ModelConfig(family="imagenet", depth=152, block="bottleneck", base_width=64, in_channels=1, input_size=224)
WORDS = {"en": ("This run needs about", "GB of memory", "one run may use",
               "reduce batch, input size, first stage's channels, width multiplier or depth"),
         "ko": ("이 학습에는 메모리가 약", "배치 512", "입력 224×224", "깊이 152", "줄여 보세요")}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_run_too_big_for_this_server_is_refused_at_the_click(app_server, page, wait_for_app, wait_for_text,
                                                               assert_no_error, lang):
    room = memory.host_room()
    if room is None or room >= memory.estimate(HUGE, TrainConfig(dataset="digits", batch_size=512)).total:
        pytest.skip("this machine has room for the run")
    owner = f"mem{lang}big"
    page.goto(f"{app_server.url}/build?lang={lang}&u={owner}&{SETUP}")
    wait_for_app(page)
    assert_no_error(page)
    alerts = page.locator('[data-testid="stAlert"]', has_text=WORDS[lang][0])
    wait_for_text(page, WORDS[lang][0])
    assert alerts.count() == 1                      # said before the click, beside the time it takes
    text = alerts.first.inner_text()
    for word in WORDS[lang]:
        assert word in text, text
    page.locator(".st-key-build_start").get_by_role("button").click()
    wait_for_app(page)
    assert alerts.count() >= 1 and WORDS[lang][-1] in alerts.last.inner_text()   # and refused at it
    assert "Traceback" not in page.content()
    assert_no_error(page)
    store = RunStore(app_server.workdir / "runs.sqlite")
    try:
        assert store.list_runs(owner=owner) == []
    finally:
        store.close()
