"""Untrusted uploads: every rejection code, built from real (small) files."""

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from resnet_core import ConfigError
from resnet_core.data.uploads import REJECTION_CODES, ImageRejected, load_upload, to_model_input


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels; its data holds almost nothing."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)   # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def rejection(data: bytes, **limits) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        load_upload(data, **limits)
    assert info.value.code in REJECTION_CODES
    assert "\n" not in info.value.message and info.value.message == str(info.value)
    return info.value


def test_the_code_set_is_the_contract_the_pages_translate():
    assert set(REJECTION_CODES) == {"too_large_bytes", "too_many_pixels", "not_image",
                                    "unsupported_format", "truncated", "empty"}


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_valid_png_or_jpeg_loads_as_rgb(fmt):
    ramp = np.linspace(0, 255, 20, dtype=np.uint8)
    pixels = np.stack([np.tile(ramp, (12, 1)), np.full((12, 20), 128, np.uint8),
                       np.tile(ramp[::-1], (12, 1))], axis=-1)
    original = Image.fromarray(pixels, "RGB")   # smooth, so JPEG keeps it close
    img = load_upload(encode(original, fmt, **({"quality": 95} if fmt == "JPEG" else {})))
    assert img.mode == "RGB" and img.size == (20, 12)
    error = np.abs(np.asarray(img, dtype=int) - pixels.astype(int))
    assert error.max() == 0 if fmt == "PNG" else error.mean() < 4


def test_greyscale_transparent_and_16_bit_pngs_come_out_as_plain_rgb():
    assert load_upload(encode(Image.new("L", (4, 4), 90), "PNG")).getpixel((0, 0)) == (90, 90, 90)
    clear = load_upload(encode(Image.new("RGBA", (4, 4), (0, 0, 0, 0)), "PNG"))
    assert clear.getpixel((0, 0)) == (255, 255, 255)   # transparent shows as the page's white
    deep = load_upload(encode(Image.new("I;16", (4, 4), 40000), "PNG"))
    assert deep.getpixel((0, 0)) == (156, 156, 156)    # 40000 / 256, not clipped to white


def test_a_phone_jpeg_is_turned_upright_by_its_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6   # "rotate 90 degrees clockwise to view"
    img = load_upload(encode(noise(30, 10), "JPEG", exif=exif))
    assert img.size == (10, 30)


def test_an_empty_upload():
    assert rejection(b"").code == "empty"


def test_too_many_bytes_is_refused_before_anything_else():
    data = encode(noise(64, 64), "PNG")
    err = rejection(data, max_bytes=len(data) - 1)
    assert err.code == "too_large_bytes" and f"{len(data):,}" in err.message


def test_a_real_large_png_of_one_colour_is_small_in_bytes_but_refused_for_its_pixels():
    data = encode(Image.new("L", (5000, 5000), 255), "PNG")
    assert len(data) < 100_000
    err = rejection(data)
    assert err.code == "too_many_pixels" and "5000 x 5000" in err.message


@pytest.mark.parametrize("side", [4097, 100_000])
def test_a_header_that_lies_about_its_size_is_refused_before_decoding(side):
    # The pixel data here is far too short to decode: "too_many_pixels" rather than "truncated"
    # shows the size was checked from the header alone. 100,000 squared is past PIL's own limit.
    assert rejection(png_declaring(side, side)).code == "too_many_pixels"


def test_the_pixel_limit_is_the_callers():
    data = png_declaring(64, 64)
    assert rejection(data, max_pixels=63 * 64).code == "too_many_pixels"
    assert rejection(data).code == "truncated"   # within the limit, but its data is cut short


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_file_is_refused_not_half_decoded(fmt):
    data = encode(noise(64, 64), fmt)
    assert rejection(data[: len(data) // 2]).code == "truncated"
    assert rejection(data[:20]).code == "truncated"   # cut inside the header


def test_a_text_file_is_not_an_image():
    assert rejection(b"name,score\nada,10\n" * 20).code == "not_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP"])
def test_other_image_formats_are_named_and_refused(fmt):
    err = rejection(encode(noise(8, 8), fmt))
    assert err.code == "unsupported_format" and fmt in err.message


SMALL_PNG = encode(noise(12, 9), "PNG")
SMALL_JPEG = encode(noise(12, 9), "JPEG")


@settings(max_examples=150, deadline=None)
@given(source=st.sampled_from([SMALL_PNG, SMALL_JPEG]), cut=st.integers(0, 400),
       edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6))
def test_damaged_files_load_or_are_refused_never_anything_else(source, cut, edits):
    data = bytearray(source[: max(1, len(source) - cut)])
    for where, value in edits:
        data[where % len(data)] = value
    try:
        img = load_upload(bytes(data))
    except ImageRejected as err:
        assert err.code in REJECTION_CODES
    else:
        assert img.mode == "RGB" and img.size[0] * img.size[1] <= 4096 * 4096


def test_a_phone_heic_photo_is_named_as_unsupported():
    heic_start = struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0mif1heic" + b"\0" * 40
    err = rejection(heic_start)
    assert err.code == "unsupported_format" and "HEIC" in err.message


def test_model_input_matches_the_pixels_normalised_by_hand():
    img = noise(6, 6)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    x = to_model_input(img, 6, 3, mean, std)
    pixels = np.asarray(img, dtype=np.float32) / 255.0
    expected = (pixels - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
    assert x.shape == (1, 3, 6, 6) and x.dtype == torch.float32
    np.testing.assert_allclose(x[0].permute(1, 2, 0).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_model_input_crops_the_centre_square_and_can_be_greyscale():
    wide = np.zeros((4, 12, 3), dtype=np.uint8)
    wide[:, 4:8] = (255, 0, 0)       # a red centre square between black bands
    x = to_model_input(Image.fromarray(wide, "RGB"), 4, 1, 0.0, 1.0)
    assert x.shape == (1, 1, 4, 4)
    # ITU-R 601 luma, the weights PIL's "L" conversion uses: 0.299 R.
    np.testing.assert_allclose(x.numpy(), 0.299, atol=1 / 255)


def test_model_input_rejects_what_it_cannot_feed():
    img = noise(4, 4)
    with pytest.raises(ConfigError, match="greyscale"):
        to_model_input(img, 4, 2)
    with pytest.raises(ConfigError, match="mean needs one value, or one per channel: 3 here"):
        to_model_input(img, 4, 3, mean=(0.1, 0.2))
    with pytest.raises(ConfigError, match="std must be above 0"):
        to_model_input(img, 4, 3, std=0.0)
