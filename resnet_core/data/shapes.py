"""A procedurally generated image set: coloured shapes on noisy backgrounds, any size, seeded.

It needs no files and no network, has as many classes as a lesson wants (up to ten), and is
hard enough that a net must learn shape, not colour: every image draws its colours, position,
scale and a small rotation at random, whatever its class.
"""

from __future__ import annotations

import math

import torch

SHAPE_NAMES = ("circle", "square", "triangle", "diamond", "ring",
               "plus", "cross", "star", "ellipse", "crescent")
IMAGES_PER_CLASS = 200


def _masks(u: torch.Tensor, v: torch.Tensor) -> list[torch.Tensor]:
    """Inside-tests for each class in shape coordinates (u, v), unit scale, centred."""
    r2 = u * u + v * v
    a, b = (u + v) / math.sqrt(2), (u - v) / math.sqrt(2)
    angle = torch.atan2(v, u)
    return [
        r2 <= 1.0,                                                          # circle
        torch.maximum(u.abs(), v.abs()) <= 0.8,                             # square
        (v <= 0.7) & (u.abs() <= (v + 0.9) * 0.6),                          # triangle, apex up
        u.abs() + v.abs() <= 1.0,                                           # diamond
        (r2 <= 1.0) & (r2 >= 0.55 ** 2),                                    # ring
        ((u.abs() <= 0.25) & (v.abs() <= 0.9)) | ((v.abs() <= 0.25) & (u.abs() <= 0.9)),  # plus
        ((a.abs() <= 0.25) & (b.abs() <= 0.9)) | ((b.abs() <= 0.25) & (a.abs() <= 0.9)),  # cross
        r2.sqrt() <= 0.55 + 0.4 * torch.cos(5 * angle),                     # five-pointed star
        u * u + (v / 0.5) ** 2 <= 1.0,                                      # ellipse, 2:1
        (r2 <= 1.0) & ((u - 0.45) ** 2 + v * v > 0.8 ** 2),                # crescent
    ]


def make_shapes(n_per_class: int = IMAGES_PER_CLASS, size: int = 32, num_classes: int = 10,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(images (N, 3, size, size) in [0, 1], labels (N,)), classes interleaved."""
    if not 2 <= num_classes <= len(SHAPE_NAMES):
        raise ValueError(f"shapes has 2 to {len(SHAPE_NAMES)} classes (got {num_classes})")
    g = torch.Generator().manual_seed(seed)
    n = n_per_class * num_classes
    labels = torch.arange(n) % num_classes

    def uniform(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, *shape, generator=g)

    # Render at twice the size and average 2x2 blocks: cheap anti-aliasing for small images.
    side = 2 * size
    grid = (torch.arange(side, dtype=torch.float32) + 0.5) / side * 2 - 1
    y, x = grid[:, None], grid[None, :]
    cx, cy = uniform(-0.25, 0.25, 1, 1), uniform(-0.25, 0.25, 1, 1)
    scale = uniform(0.45, 0.7, 1, 1)
    # Small rotations only: at 45 degrees a square would become a diamond and a plus a cross.
    theta = uniform(-0.26, 0.26, 1, 1)
    dx, dy = x - cx, y - cy
    u = (dx * torch.cos(theta) + dy * torch.sin(theta)) / scale
    v = (-dx * torch.sin(theta) + dy * torch.cos(theta)) / scale
    inside = torch.zeros(n, side, side, dtype=torch.bool)
    for k, mask in enumerate(_masks(u, v)[:num_classes]):
        inside |= mask & (labels == k)[:, None, None]

    # Dark backgrounds, light shapes of any hue: every shape stands out, colour says nothing.
    background = uniform(0.0, 0.4, 3, 1, 1)
    foreground = uniform(0.55, 1.0, 3, 1, 1)
    img = torch.where(inside[:, None], foreground, background)
    img = torch.nn.functional.avg_pool2d(img, 2)
    img = img + 0.04 * torch.randn(img.shape, generator=g)
    return img.clamp(0.0, 1.0), labels
