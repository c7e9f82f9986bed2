"""The GPU's data budget, checked with a stand-in for the driver's free memory: older datasets
make room, one that cannot fit is refused with what to reduce, and the float64 statistics of a
large set (summed in slices) equal those of the whole set at once."""

import pytest
import torch

from resnet_core.data import budget
from resnet_core.data.datasets import INFO
from resnet_core.messages import ConfigError, identify

GB = budget.GB


def test_the_issues_figures_for_cifar10():
    cifar = INFO["cifar10"]
    assert budget.data_bytes(cifar.images, 3, 32) / 1e9 == pytest.approx(0.74, abs=0.01)
    assert budget.data_bytes(cifar.images, 3, 128) / 1e9 == pytest.approx(11.8, abs=0.05)
    assert budget.data_bytes(cifar.images, 3, 224) / 1e9 == pytest.approx(36.1, abs=0.1)


def test_older_datasets_make_room_then_a_dataset_too_large_is_refused():
    free = [10 * GB]
    cached = [3 * GB, 2 * GB]      # what evicting each cached dataset gives back, oldest first

    def evict():
        if not cached:
            return False
        free[0] += cached.pop(0)
        return True

    budget.make_room("cifar10", 64, 6 * GB, free=lambda: free[0], evict=evict)   # 6 <= 0.5 * 13
    assert cached == [2 * GB] and free[0] == 13 * GB
    with pytest.raises(ConfigError) as err:
        budget.make_room("cifar10", 224, 36 * GB, free=lambda: free[0], evict=evict)
    assert cached == []
    code, values = identify(str(err.value))
    assert code == "gpu_data" and values["need"] == "36.0" and values["have"] == "7.5"
    assert "reduce the input size" in str(err.value)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_refusal_reads_in_both_languages(lang, monkeypatch):
    from ui.page import errors, i18n

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    with pytest.raises(ConfigError) as err:
        budget.make_room("cifar10", 224, 36 * GB, free=lambda: 10 * GB, evict=lambda: False)
    text = errors.config_text(err.value)
    assert "36.0" in text and "224×224" in text
    # The setting to lower, named as the Build page labels it (never its code name max_samples).
    knob = {"en": "the number of images used", "ko": "사용할 이미지 수"}[lang]
    assert knob in text and "max_samples" not in text
    assert ("줄여 보세요" in text) if lang == "ko" else ("reduce" in text)


def test_slices_give_the_same_statistics_as_the_whole_set(monkeypatch):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1000, 3, 6, 6, generator=g) * torch.tensor([1.0, 0.5, 0.1]).view(1, 3, 1, 1)
    wide = x.double()
    mean, std = wide.mean(dim=(0, 2, 3)).float(), wide.std(dim=(0, 2, 3)).float()
    assert [torch.equal(a, b) for a, b in zip(budget.channel_stats(x), (mean, std))] == [True, True]
    monkeypatch.setattr(budget, "WHOLE", 0)          # every set counts as large: summed in slices
    monkeypatch.setattr(budget, "CHUNK", 97)
    s_mean, s_std = budget.channel_stats(x)
    assert torch.equal(s_mean, mean)
    torch.testing.assert_close(s_std, std, rtol=1e-6, atol=0)
