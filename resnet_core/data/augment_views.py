"""What the Augmentation page draws: sample pictures of an embedded dataset, augmented copies of
one image (pad and random crop, flip, PCA colour) and the colour components AlexNet's
augmentation moves along."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from resnet_core.data import augment
from resnet_core.data.datasets import sample_images
from resnet_core.nets.config import ConfigError


def pictures(dataset: str, n: int, size: int = 32, seed: int = 0) -> tuple[torch.Tensor, list[int]]:
    """`n` images of an embedded dataset in [0, 1] at `size`, with their labels."""
    images, labels = sample_images(dataset, n, size, seed)
    return images, [int(v) for v in labels]


@dataclass(frozen=True)
class ColourPCA:
    mean: np.ndarray       # (C,) mean pixel colour in [0, 1]
    eigvals: np.ndarray    # (C,) variances along the components, largest first
    eigvecs: np.ndarray    # (C, C) unit eigenvectors as columns


def colour_pca(dataset: str, size: int = 32, n: int = 500) -> ColourPCA:
    """Principal components of the pixel colours over `n` images of an embedded dataset: the
    directions AlexNet's colour augmentation moves along (Krizhevsky et al. 2012)."""
    images, _ = sample_images(dataset, n, size, seed=0)
    if images.shape[1] == 1:
        # One channel: the only component is brightness (rgb_pca needs a 2-D covariance).
        eigvals, eigvecs = images.double().var().reshape(1).float(), torch.ones(1, 1)
    else:
        eigvals, eigvecs = augment.rgb_pca(images)
    # An eigenvector's sign is arbitrary; point each one towards "more light" so +PC1 reads as brighter.
    signs = torch.where(eigvecs.sum(0) < 0, -1.0, 1.0)
    return ColourPCA(images.mean(dim=(0, 2, 3)).numpy(), eigvals.numpy(), (eigvecs * signs).numpy())


def colour_steps(pca: ColourPCA, component: int, spread: float = 3.0, count: int = 7) -> np.ndarray:
    """The mean colour moved along one component by -spread..+spread standard deviations:
    (count, C) in [0, 1], what adding a_i l_i p_i does to a typical pixel."""
    sd = float(np.sqrt(max(pca.eigvals[component], 0.0)))
    offsets = np.linspace(-spread, spread, count)[:, None] * sd * pca.eigvecs[:, component][None]
    return np.clip(pca.mean[None] + offsets, 0.0, 1.0)


def augmented_copies(image: torch.Tensor | np.ndarray, n: int, *, pad: int, flip_p: float, alphastd: float,
                     pca: ColourPCA, seed: int) -> np.ndarray:
    """`n` augmented copies of one image (C, H, W) in [0, 1]: pad and random crop, flip, then
    PCA colour (the order of Krizhevsky et al. 2012), clipped to [0, 1] for display; (n, H, W, C)."""
    if not 1 <= n <= 64:
        raise ConfigError(code="range", name="copies", low=1, high=64, value=n)
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(image, dtype=torch.float32)[None].expand(n, -1, -1, -1).contiguous()
    if pad:
        x = augment.pad_crop(x, pad, generator=g)
    x = augment.hflip(x, flip_p, generator=g)
    if alphastd:
        x = augment.pca_colour(x, alphastd, torch.from_numpy(pca.eigvals), torch.from_numpy(pca.eigvecs),
                               generator=g)
    return x.clamp(0, 1).permute(0, 2, 3, 1).numpy()
