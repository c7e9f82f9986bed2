"""The Augmentation page under AppTest: sliders -> augmented copies as drawn, the reseed button,
and the colour components beside numpy's."""

import re

import numpy as np
import pytest
from apptest_helpers import assert_clean, open_page, picture_blocks, svg_bars, svg_charts
from streamlit.testing.v1 import AppTest

from resnet_core.inspection import inspect_models as im

TIMEOUT = 120
PLAIN = {"augmentation_pad": 0, "augmentation_flip": 0.0, "augmentation_alpha": 0.0}


def open_augmentation(lang: str = "en", **state) -> AppTest:
    return open_page("augmentation", lang, state=state, timeout=TIMEOUT)


def panels(at: AppTest) -> tuple[np.ndarray, list[np.ndarray]]:
    """(original, copies) as the page sends them: decoded from its PNGs, (H, W, 3) uint8 each."""
    images = [pixels for pixels, _, _ in picture_blocks(at)[0]]
    return images[0], images[1:]


def expected_copies(at: AppTest, dataset: str = "shapes", index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The original and copies the page's settings give, computed here from the library, as
    (H, W, 3) uint8: what the PNGs must hold."""
    images, _ = im.pictures(dataset, 24, 32)
    def value(key: str):
        return at.slider(key=f"augmentation_{key}").value

    seed = at.session_state.get("augmentation_seed", 0)
    copies = im.augmented_copies(images[index].numpy(), value("copies"), pad=value("pad"), flip_p=value("flip"),
                                 alphastd=value("alpha"), pca=im.colour_pca(dataset, 32), seed=seed)
    return to8(images[index].numpy().transpose(1, 2, 0)), [to8(c) for c in copies]


def to8(image: np.ndarray) -> np.ndarray:
    """A naive [0, 1] -> uint8 conversion, grey repeated to three channels."""
    image = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
    return np.floor(np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def test_page_opens_in_both_languages_with_the_papers_defaults():
    at = open_augmentation("en")
    assert at.title[0].value == "Augmentation"
    assert at.slider(key="augmentation_pad").value == 4
    assert at.slider(key="augmentation_flip").value == 0.5
    original, copies = panels(at)
    assert original.shape == (32, 32, 3) and len(copies) == 8
    assert [caption for _, _, caption in picture_blocks(at)[0]] == ["original"] + [f"copy {n}" for n in range(1, 9)]
    assert at.caption[0].value.startswith("Draw #0: pad to 40×40, random 32×32 crop")
    # The pixels sent are the library's copies (default settings: crop, flip and PCA colour all on).
    want_original, want_copies = expected_copies(at)
    np.testing.assert_array_equal(original, want_original)
    for got, want in zip(copies, want_copies):
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1     # float rounding at .5 only
    assert not at.get("plotly_chart")                                   # pictures PNG, components SVG
    steps = picture_blocks(at)[1]
    assert len(steps) == 1
    ko = open_augmentation("ko", augmentation_pad=0)
    assert ko.title[0].value == "데이터 증강"
    assert ko.button(key="augmentation_reseed").label == "다시 뽑기"
    # The caption follows the padding: no crop is claimed without it, in both languages.
    assert ko.caption[0].value.startswith("뽑기 #0: 여백이 없어 자르지 않음")
    ko.slider(key="augmentation_pad").set_value(4).run()
    assert ko.caption[0].value.startswith("뽑기 #0: 여백을 붙여 40×40 크기로 만들고 32×32 크기를 무작위로 잘라 냄")


def test_flip_probability_one_flips_every_copy():
    at = open_augmentation(**{**PLAIN, "augmentation_flip": 1.0})
    assert at.caption[0].value.startswith("Draw #0: no padding, so no crop; flip with probability 100%")
    original, copies = panels(at)
    for copy in copies:
        np.testing.assert_array_equal(copy, original[:, ::-1])
    at.slider(key="augmentation_flip").set_value(0.0).run()
    original, copies = panels(at)
    for copy in copies:
        np.testing.assert_array_equal(copy, original)


def test_padding_shifts_the_image_and_reseeding_draws_again():
    at = open_augmentation(**{**PLAIN, "augmentation_pad": 4, "augmentation_copies": 6})
    original, first = panels(at)
    assert len(first) == 6
    assert any(not np.array_equal(c, original) for c in first)
    at.button(key="augmentation_reseed").click().run()
    assert_clean(at)
    assert at.caption[0].value.startswith("Draw #1:")
    _, second = panels(at)
    assert any(not np.array_equal(a, b) for a, b in zip(first, second))
    at.run()                                                   # a plain rerun keeps the draw
    _, again = panels(at)
    assert all(np.array_equal(a, b) for a, b in zip(second, again))


def test_pca_colour_shifts_a_whole_copy_by_one_colour():
    at = open_augmentation(**{**PLAIN, "augmentation_alpha": 1.0, "augmentation_index": 2})
    original, copies = panels(at)
    for copy in copies:
        inside = ((copy > 0) & (copy < 255)).all(-1)                   # pixels the display did not clip
        shift = copy.astype(int)[inside] - original.astype(int)[inside]
        assert (shift.max(0) - shift.min(0) <= 2).all()               # one offset (+- rounding)
    assert any(np.abs(c.astype(int) - original).max() > 3 for c in copies)


def test_components_are_drawn_as_computed():
    at = open_augmentation()
    (eigen,) = svg_charts(at)
    pca = im.colour_pca("shapes", 32)
    tips = [tip for *_, tip in svg_bars(eigen)]
    # Eigenvalues first (PC1.. with their share above), then each component's R, G, B loadings.
    assert tips[:3] == [f"PC{i + 1}: {v:.4f}" for i, v in enumerate(pca.eigvals)]
    assert tips[3:] == [f"PC{i + 1} · {ch}: {pca.eigvecs[c][i]:.3f}" for i in range(3) for c, ch in enumerate("RGB")]
    labels = ["".join(el.itertext()) for el in eigen.iter("{http://www.w3.org/2000/svg}text")]
    share = pca.eigvals / pca.eigvals.sum()
    assert all(f"{s:.0%}" in labels for s in share)
    assert "Eigenvalues λ (share of the variance)" in labels and "Eigenvectors p (R, G, B parts)" in labels
    # A negative loading hangs below the zero line: its bar starts where the positive ones end.
    bars = svg_bars(eigen)[3:]
    loadings = [pca.eigvecs[c][i] for i in range(3) for c in range(3)]
    bottoms = {round(y + h, 1) for (_, y, _, h, _), v in zip(bars, loadings) if v > 0}
    tops = {round(y, 1) for (_, y, _, _, _), v in zip(bars, loadings) if v < 0}
    assert len(bottoms) == 1 and bottoms == tops


def test_grey_digits_have_one_component_and_are_not_flipped_in_training():
    at = open_augmentation(augmentation_dataset="digits")
    notes = [c.value for c in at.caption]
    assert any("never flips digits" in n for n in notes)
    assert any("one component" in n for n in notes)
    (eigen,) = svg_charts(at)
    assert [tip.split(":")[0] for *_, tip in svg_bars(eigen)] == ["PC1", "PC1 · grey"]
    original, copies = panels(at)
    assert (original[..., 0] == original[..., 1]).all()              # grey drawn as equal R, G, B


def strip_markup(at: AppTest) -> str:
    return next(md.value for md in at.markdown if 'class="rx-pictures"' in md.value and "PC1" in md.value)


@pytest.mark.parametrize("lang, dataset, k", [("en", "shapes", 3), ("ko", "digits", 1)])
def test_the_colour_strips_are_the_mean_colour_moved_along_each_component(lang, dataset, k):
    at = open_augmentation(lang, augmentation_dataset=dataset)
    (strip, tip, _), = picture_blocks(at)[1]
    pca = im.colour_pca(dataset, 32)
    want = to8(np.stack([im.colour_steps(pca, i) for i in range(k)]))
    assert strip.shape == (k, 7, 3)                          # one pixel per swatch, scaled up by the browser
    assert np.abs(strip.astype(int) - want.astype(int)).max() <= 1
    markup = strip_markup(at)
    labels = re.findall(r">([^<>]+)</div>", markup)
    assert labels[:k] == [f"PC{i + 1}" for i in range(k)]
    assert labels[k:k + 7] == ["-3σ", "-2σ", "-1σ", "+0σ", "+1σ", "+2σ", "+3σ"]
    shift = {"en": "shift from the mean colour (σ = √λ)", "ko": "평균 색에서 이동한 정도 (σ = √λ)"}[lang]
    assert labels[k + 7] == shift and tip == shift
    assert "image-rendering:pixelated" in markup
