"""Uploaded images are untrusted bytes: check them cheaply before decoding them.

``load_upload`` refuses anything that is not a PNG or JPEG, that is too large in bytes, or
whose header declares too many pixels (a "decompression bomb": a few kilobytes that would
decode to gigabytes). PIL's ``Image.open`` reads only the header, so the size is known before
any pixel is decoded. Truncated files are refused, never half-decoded (PIL's
``LOAD_TRUNCATED_IMAGES`` stays off). A refusal is ``ImageRejected`` whose ``code`` is one of
``REJECTION_CODES``; pages translate the code, so the set of codes is the contract.
"""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageOps

from resnet_core.nets.config import ConfigError

REJECTION_CODES = ("empty", "too_large_bytes", "not_image", "unsupported_format",
                   "too_many_pixels", "truncated")
ACCEPTED_FORMATS = ("PNG", "JPEG")
# A camera JPEG carrying extra pictures (MPO) is still a JPEG to the person uploading it.
OPENED_AS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG"}
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
# Formats we only name in a refusal; their headers are parsed, never their pixels.
NAMED_FORMATS = ("GIF", "BMP", "WEBP", "TIFF", "ICO", "PPM", "TGA", "JPEG2000", "PSD", "DDS")
# Phones save HEIC/AVIF (an ISO "ftyp" box at byte 4), which PIL cannot read without a plugin.
_HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypmif1", b"ftypmsf1", b"ftypavif")


class ImageRejected(ValueError):
    """An upload we will not decode; ``code`` says why, ``message`` says it in English."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _identify_other(data: bytes) -> ImageRejected:
    """Not openable as PNG or JPEG: a damaged PNG/JPEG, another image format, or no image."""
    if data.startswith(_SIGNATURES):
        return ImageRejected("truncated", "the image file is incomplete or damaged")
    if data[4:12] in _HEIF_BRANDS:
        return ImageRejected("unsupported_format", "HEIC/AVIF images are not accepted; use PNG or JPEG")
    try:
        with Image.open(io.BytesIO(data), formats=NAMED_FORMATS) as other:   # header only
            kind = other.format or "this format"
    except Image.DecompressionBombError:
        kind = "this format"
    except Exception:
        return ImageRejected("not_image", "the file is not an image")
    return ImageRejected("unsupported_format", f"{kind} images are not accepted; use PNG or JPEG")


def load_upload(data: bytes, *, max_bytes: int = 5_000_000, max_pixels: int = 4096 * 4096) -> Image.Image:
    """Decode an uploaded PNG or JPEG into an RGB image, or raise ``ImageRejected``."""
    if not data:
        raise ImageRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_large_bytes",
                            f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        img = Image.open(io.BytesIO(bytes(data)), formats=ACCEPTED_FORMATS)   # lazy: header only
    except Image.DecompressionBombError:
        # PIL's own global ceiling, met before ours only when max_pixels is set above it.
        raise ImageRejected("too_many_pixels", "the image declares too many pixels") from None
    except Exception:   # UnidentifiedImageError and whatever a malformed header provokes
        raise _identify_other(data) from None
    width, height = img.size
    if img.format not in OPENED_AS or width < 1 or height < 1:
        img.close()
        raise _identify_other(data)
    if width * height > max_pixels:
        img.close()
        raise ImageRejected("too_many_pixels",
                            f"the image is {width} x {height} pixels; the limit is {max_pixels:,} pixels")
    try:
        img.load()   # the full decode; a short or corrupt stream raises here
    except Exception:
        img.close()
        raise ImageRejected("truncated", "the image file is incomplete or damaged") from None
    return _to_rgb(img)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Upright RGB: apply the camera's EXIF rotation, put transparency on white, bring 16-bit
    greyscale down to 8 bits (a plain convert would clip it to white)."""
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:
        pass   # a damaged EXIF block only loses the rotation, not the picture
    if img.mode in ("I", "I;16", "I;16B", "I;16L"):
        grey = np.asarray(img, dtype=np.float64)
        img = Image.fromarray(np.clip(grey / 256.0, 0, 255).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _per_channel(name: str, value: float | Sequence[float], channels: int) -> torch.Tensor:
    values = torch.as_tensor(value, dtype=torch.float32).flatten()
    if values.numel() == 1:
        values = values.expand(channels)
    if values.numel() != channels:
        raise ConfigError(code="per_channel", name=name, channels=channels, value=values.numel())
    return values.reshape(channels, 1, 1)


def to_model_input(img: Image.Image, size: int, in_channels: int,
                   mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0) -> torch.Tensor:
    """A (1, C, size, size) float tensor: centre square crop, resize, scale to [0, 1], then
    ``(x - mean) / std`` per channel, matching how the model's training data was prepared."""
    if in_channels not in (1, 3):
        raise ConfigError(code="upload_channels", value=in_channels)
    if not 1 <= size <= 1024:
        raise ConfigError(code="range_pixels", name="size", low=1, high=1024, value=size)
    std_t = _per_channel("std", std, in_channels)
    if (std_t <= 0).any():
        raise ConfigError(code="std_positive")
    square = ImageOps.fit(img.convert("RGB"), (size, size), method=Image.Resampling.BILINEAR)
    if in_channels == 1:
        square = square.convert("L")
    pixels = torch.from_numpy(np.array(square, dtype=np.float32) / 255.0)   # (H, W) or (H, W, 3)
    x = pixels[None] if in_channels == 1 else pixels.permute(2, 0, 1)      # (C, H, W)
    return ((x - _per_channel("mean", mean, in_channels)) / std_t).unsqueeze(0).contiguous()


def as_batch(image: torch.Tensor) -> torch.Tensor:
    """One image (C, H, W), or a batch holding just one, as a batch of one (1, C, H, W)."""
    if image.dim() == 3:
        return image.unsqueeze(0)
    if image.dim() == 4 and image.shape[0] == 1:
        return image
    raise ConfigError(code="one_image", shape=tuple(image.shape))
