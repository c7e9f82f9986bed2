"""Data augmentation as pure functions on image batches (N, C, H, W), on whatever device the
batch lives on. Randomness comes only from the ``generator`` passed in, so the same seed gives
the same augmented batch.

The paper's CIFAR recipe: pad 4 pixels on each side, take a random 32x32 crop, flip left to
right at random (He et al. 2015, section 4.2; it gives no probability: 0.5 is this app's). Its
ImageNet recipe adds AlexNet's colour augmentation along the principal components of the RGB
values (Krizhevsky et al. 2012).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from resnet_core.nets.config import ConfigError


def _draw(generator: torch.Generator | None, x: torch.Tensor, draw) -> torch.Tensor:
    """Draw on the generator's own device (a CPU generator cannot fill a CUDA tensor), then
    move the numbers next to the batch."""
    device = generator.device if generator is not None else x.device
    return draw(device).to(x.device)


def _check_batch(x: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ConfigError(code="aug_shape", shape=tuple(x.shape))


def pad_crop(x: torch.Tensor, pad: int = 4, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero-pad each side by ``pad`` pixels, then cut a random window of the original size
    from each image, each with its own offset."""
    _check_batch(x)
    if pad < 0:
        raise ConfigError(code="not_negative", name="pad", value=pad)
    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))                    # (N, C, H+2p, W+2p)
    offsets = _draw(generator, x,
                    lambda d: torch.randint(0, 2 * pad + 1, (2, n), generator=generator, device=d))
    rows = offsets[0, :, None] + torch.arange(h, device=x.device)  # (N, H)
    cols = offsets[1, :, None] + torch.arange(w, device=x.device)  # (N, W)
    index = torch.arange(n, device=x.device)[:, None, None]
    # Advanced indices on dims 0, 2, 3 around a slice: the result is (N, H, W, C).
    return padded[index, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def hflip(x: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left to right with probability ``p``."""
    _check_batch(x)
    if not 0.0 <= p <= 1.0:
        raise ConfigError(code="range", name="flip probability", low=0, high=1, value=p)
    flip = _draw(generator, x, lambda d: torch.rand(x.shape[0], generator=generator, device=d)) < p
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def rgb_pca(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal components of the colour values over every pixel of ``images`` (N, C, H, W):
    eigenvalues of the C x C covariance, largest first, and the unit eigenvectors as columns."""
    _check_batch(images)
    pixels = images.transpose(0, 1).reshape(images.shape[1], -1).double()   # (C, N*H*W)
    if pixels.shape[1] < 2:
        raise ConfigError(code="pca_two_pixels")
    cov = torch.cov(pixels).reshape(pixels.shape[0], pixels.shape[0])       # 0-d for one channel
    eigvals, eigvecs = torch.linalg.eigh(cov)                                # ascending order
    return eigvals.flip(0).to(images.dtype), eigvecs.flip(1).to(images.dtype)


def pca_colour(x: torch.Tensor, alphastd: float, eigvals: torch.Tensor, eigvecs: torch.Tensor,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """AlexNet's colour augmentation: add [p1 ... pC] [a1 l1 ... aC lC]^T to every pixel of an
    image, with a_i ~ N(0, alphastd) drawn once per image (Krizhevsky et al. 2012, section
    4.1: alphastd 0.1). It shifts intensity and colour along the directions in which the
    training images' colours actually vary."""
    _check_batch(x)
    channels = x.shape[1]
    if eigvals.shape != (channels,) or eigvecs.shape != (channels, channels):
        raise ConfigError(code="pca_match", channels=channels, shape=tuple(eigvals.shape),
                          shape2=tuple(eigvecs.shape))
    if alphastd < 0:
        raise ConfigError(code="not_negative", name="alphastd", value=alphastd)
    alpha = _draw(generator, x, lambda d: torch.randn(x.shape[0], channels, generator=generator, device=d))
    alpha = alpha.to(x.dtype) * alphastd                                      # (N, C)
    shift = (alpha * eigvals.to(x)) @ eigvecs.to(x).T                         # (N, C): sum_i a_i l_i p_i
    return x + shift[:, :, None, None]
