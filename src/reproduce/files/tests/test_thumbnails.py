"""Thumbnails: upright scaled images, a real shaded rendering of STL meshes, failures recorded."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from reproduce.files.models import Blob
from reproduce.files.services import ingest
from reproduce.files.storage import open_blob
from reproduce.files.tasks import make_thumbnail
from reproduce.files.tests import samples
from reproduce.files.thumbnails import (
    BACKGROUND,
    MeshTooComplex,
    ensure_thumbnail,
    render_triangles,
)

pytestmark = pytest.mark.django_db


def picture(blob: Blob) -> Image.Image:
    with open_blob(blob) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


def test_png_thumbnail_fits_480_and_keeps_the_picture() -> None:
    blob = ingest(io.BytesIO(samples.image_bytes(size=(1200, 800))), "photo.png")
    thumbnail = ensure_thumbnail(blob)
    assert thumbnail is not None and thumbnail.kind == "png"
    image = picture(thumbnail)
    assert image.format == "PNG" and image.size == (480, 320)
    assert len(image.getcolors(480 * 320) or []) > 1
    assert image.getpixel((10, 160))[:3] == (200, 30, 30)  # left half red
    assert image.getpixel((470, 160))[:3] == (30, 30, 200)  # right half blue
    blob.refresh_from_db()
    assert blob.thumbnail_state == "ready" and blob.thumbnail_id == thumbnail.pk
    assert thumbnail.thumbnail_id == thumbnail.pk  # a thumbnail is its own thumbnail
    assert ensure_thumbnail(blob) == thumbnail  # made once


def test_jpeg_thumbnail_is_turned_upright_from_exif() -> None:
    # Stored 200×100 with "rotate 90° clockwise to display" (orientation 6).
    data = samples.image_bytes("JPEG", size=(200, 100), exif_orientation=6)
    thumbnail = ensure_thumbnail(ingest(io.BytesIO(data), "photo.jpg"))
    assert thumbnail is not None
    image = picture(thumbnail).convert("RGB")
    assert image.size == (100, 200)
    red, blue = image.getpixel((50, 20)), image.getpixel((50, 180))
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]  # left half is now the top


@pytest.mark.parametrize("ascii", [False, True], ids=["binary", "ascii"])
def test_stl_thumbnail_is_a_shaded_rendering(ascii: bool) -> None:
    blob = ingest(io.BytesIO(samples.stl_bytes(ascii=ascii)), "cube.stl")
    thumbnail = ensure_thumbnail(blob)
    assert thumbnail is not None
    image = picture(thumbnail).convert("RGB")
    assert image.size == (480, 480)
    assert image.getpixel((2, 2)) == BACKGROUND  # neutral background around the part
    centre = image.getpixel((240, 240))
    assert centre != BACKGROUND
    # A cube seen from a corner shows three faces lit differently (flat shading).
    shades = {colour for count, colour in image.getcolors(480 * 480) or [] if count > 2000}
    assert len(shades - {BACKGROUND}) >= 3


def test_a_file_that_cannot_be_rendered_is_marked_failed_without_raising(caplog) -> None:
    blob = ingest(io.BytesIO(samples.image_bytes()), "photo.png")
    with default_storage.open(blob.storage_name, "wb") as damaged:
        damaged.write(b"\x89PNG\r\n\x1a\nnot really")
    with caplog.at_level(logging.ERROR, logger="reproduce.files.thumbnails"):
        assert ensure_thumbnail(blob) is None
    blob.refresh_from_db()
    assert blob.thumbnail_state == "failed" and blob.thumbnail is None
    assert "thumbnail of blob" in caplog.text


def test_kinds_without_preview_get_none() -> None:
    blob = ingest(io.BytesIO(samples.pdf_bytes()), "plan.pdf")
    assert ensure_thumbnail(blob) is None
    blob.refresh_from_db()
    assert blob.thumbnail_state == "none"


def test_the_task_renders_through_the_task_backend(immediate_tasks) -> None:
    blob = ingest(io.BytesIO(samples.stl_bytes()), "cube.stl")
    result = make_thumbnail.enqueue(blob.pk)
    assert result.return_value == "ready"
    blob.refresh_from_db()
    assert blob.thumbnail is not None and blob.thumbnail.kind == "png"
    assert make_thumbnail.enqueue(999_999).return_value == "missing"


def test_the_task_never_raises(immediate_tasks, caplog) -> None:
    blob = ingest(io.BytesIO(samples.stl_bytes()), "cube.stl")
    default_storage.delete(blob.storage_name)
    with caplog.at_level(logging.ERROR):
        result = make_thumbnail.enqueue(blob.pk)
    assert result.status == "SUCCESSFUL" and result.return_value == "failed"


def test_a_crafted_mesh_of_huge_overlapping_triangles_is_not_painted() -> None:
    # 20 000 triangles spanning the whole part would paint the canvas thousands of times.
    rng = np.random.default_rng(7)
    points = rng.normal(size=(20_000, 3, 3))
    points /= np.linalg.norm(points, axis=2, keepdims=True)
    with pytest.raises(MeshTooComplex):
        render_triangles(points * 50)
    assert render_triangles(samples.cube_triangles())  # an ordinary part is painted
