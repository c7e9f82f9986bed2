"""Augmentations checked against naive per-image loops and numpy's eigen-decomposition."""

import numpy as np
import pytest
import torch

from resnet_core import ConfigError
from resnet_core.data.augment import hflip, pad_crop, pca_colour, rgb_pca


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def naive_pad(image: torch.Tensor, pad: int) -> torch.Tensor:
    c, h, w = image.shape
    out = torch.zeros(c, h + 2 * pad, w + 2 * pad, dtype=image.dtype)
    for i in range(h):
        for j in range(w):
            out[:, i + pad, j + pad] = image[:, i, j]
    return out


def naive_mirror(image: torch.Tensor) -> torch.Tensor:
    w = image.shape[-1]
    return torch.stack([image[..., w - 1 - j] for j in range(w)], dim=-1)


@pytest.fixture
def batch():
    return torch.randn(64, 3, 6, 5, generator=gen(0))


def test_pad_crop_with_no_padding_is_the_identity(batch):
    assert torch.equal(pad_crop(batch, 0, gen(1)), batch)


def test_every_crop_is_a_window_of_the_naively_padded_image(batch):
    pad = 2
    out = pad_crop(batch, pad, gen(1))
    assert out.shape == batch.shape and out.dtype == batch.dtype
    h, w = batch.shape[2:]
    offsets = set()
    for image, crop in zip(batch, out):
        padded = naive_pad(image, pad)
        found = [(dy, dx) for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)
                 if torch.equal(padded[:, dy:dy + h, dx:dx + w], crop)]
        assert found, "a crop that is no window of the padded image"
        offsets.add(found[0])
    assert len(offsets) >= 15   # of 25 possible offsets, 64 draws reach most of them


def test_same_seed_same_batch_other_seed_other_batch(batch):
    assert torch.equal(pad_crop(batch, 3, gen(5)), pad_crop(batch, 3, gen(5)))
    assert not torch.equal(pad_crop(batch, 3, gen(5)), pad_crop(batch, 3, gen(6)))
    assert torch.equal(hflip(batch, 0.5, gen(5)), hflip(batch, 0.5, gen(5)))


def test_flipping_twice_with_the_same_draws_is_the_identity(batch):
    assert torch.equal(hflip(hflip(batch, 0.5, gen(3)), 0.5, gen(3)), batch)
    assert torch.equal(hflip(hflip(batch, 1.0), 1.0), batch)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_each_image_is_kept_or_mirrored_at_rate_p(p):
    batch = torch.randn(400, 1, 2, 3, generator=gen(2))
    out = hflip(batch, p, gen(4))
    flipped = 0
    for image, result in zip(batch, out):
        if torch.equal(result, naive_mirror(image)):
            flipped += 1
        else:
            assert torch.equal(result, image)
    assert flipped / len(batch) == pytest.approx(p, abs=0.08)


def test_rgb_pca_matches_numpy_eigh_on_the_pixel_covariance():
    images = torch.rand(10, 3, 8, 8, generator=gen(0))
    images[:, 1] = 0.6 * images[:, 0] + 0.4 * images[:, 1]   # correlated channels, as in photos
    eigvals, eigvecs = rgb_pca(images)
    pixels = images.permute(1, 0, 2, 3).reshape(3, -1).double().numpy()
    ref_vals, ref_vecs = np.linalg.eigh(np.cov(pixels))
    order = np.argsort(ref_vals)[::-1]
    np.testing.assert_allclose(eigvals.numpy(), ref_vals[order], rtol=1e-5)
    vecs = eigvecs.double().numpy()
    np.testing.assert_allclose(vecs.T @ vecs, np.eye(3), atol=1e-6)
    for i, j in enumerate(order):   # an eigenvector is only defined up to its sign
        np.testing.assert_allclose(abs(vecs[:, i] @ ref_vecs[:, j]), 1.0, atol=1e-6)


def test_pca_colour_adds_one_shift_per_image_along_the_components_with_alphastd():
    base = torch.rand(2000, 3, 4, 4, generator=gen(1))
    mix = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.2, 0.0], [0.5, 0.1, 0.4]])
    images = torch.einsum("ij,njhw->nihw", mix, base)   # three clearly different eigenvalues
    eigvals, eigvecs = rgb_pca(images)
    assert eigvals[0] > 5 * eigvals[1] > 5 * eigvals[2] > 0
    alphastd = 0.1
    out = pca_colour(images, alphastd, eigvals, eigvecs, gen(2))
    alphas = []
    for image, result in zip(images, out):
        shift = (result - image).reshape(3, -1)
        torch.testing.assert_close(shift, shift[:, :1].expand_as(shift))   # one RGB offset per image
        alphas.append((eigvecs.T @ shift[:, 0]) / eigvals)              # shift = sum a_i l_i p_i
    alphas = torch.stack(alphas)
    assert alphas.mean(0).abs().max() < 0.01
    torch.testing.assert_close(alphas.std(0), torch.full((3,), alphastd), atol=0.01, rtol=0)


def test_pca_colour_with_zero_alphastd_changes_nothing_and_checks_shapes(batch):
    eigvals, eigvecs = rgb_pca(batch)
    assert torch.equal(pca_colour(batch, 0.0, eigvals, eigvecs, gen(0)), batch)
    with pytest.raises(ConfigError, match="3 channels"):
        pca_colour(batch, 0.1, eigvals[:1], eigvecs[:1, :1])


def test_bad_arguments_are_config_errors(batch):
    with pytest.raises(ConfigError, match="negative"):
        pad_crop(batch, -1)
    with pytest.raises(ConfigError, match="0 to 1"):
        hflip(batch, 1.5)
    with pytest.raises(ConfigError, match=r"\(N, C, H, W\)"):
        hflip(batch[0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_batches_stay_on_their_device_with_a_cpu_generator(batch):
    x = batch.cuda()
    eigvals, eigvecs = rgb_pca(x)
    for out in (pad_crop(x, 2, gen(0)), hflip(x, 0.5, gen(0)), pca_colour(x, 0.1, eigvals, eigvecs, gen(0))):
        assert out.is_cuda
    torch.testing.assert_close(pad_crop(x, 2, gen(0)).cpu(), pad_crop(batch, 2, gen(0)))


def test_rgb_pca_on_grey_images_is_the_pixel_variance():
    # One channel: the "covariance" is the variance and the only eigenvector is [1].
    images = torch.rand(4, 1, 6, 6, generator=torch.Generator().manual_seed(3))
    eigvals, eigvecs = rgb_pca(images)
    assert eigvals.shape == (1,) and eigvecs.shape == (1, 1)
    assert torch.allclose(eigvals, images.flatten().var(unbiased=True).reshape(1), atol=1e-6)
    assert torch.allclose(eigvecs.abs(), torch.ones(1, 1))
