"""Preview images of stored files: a 480 px PNG for images and a real rendering of STL meshes.

The STL renderer is deliberately small (numpy-stl + Pillow, no OpenGL on the server): it turns
the mesh to an isometric view, projects it orthographically, sorts the triangles far to near
(painter's algorithm) and shades each one flat from its normal, supersampled for smooth edges.
That is enough to recognise a part in a list. A thumbnail is stored as a Blob of its own, and
is its own thumbnail.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from reproduce.files.detection import read_stl_triangles
from reproduce.files.kinds import PILLOW_FORMATS
from reproduce.files.models import THUMBNAIL_KINDS, Blob, Kind, ThumbnailState
from reproduce.files.storage import open_blob, save_blob, sha256_of

logger = logging.getLogger(__name__)

SIZE = 480
SUPERSAMPLE = 2
MARGIN = 0.06
BACKGROUND = (241, 243, 245)
MODEL_COLOUR = np.array([96.0, 139.0, 181.0])
AMBIENT, DIFFUSE = 0.45, 0.55
# Painting cost grows with the area filled. A real mesh covers the canvas a few times (front
# and back faces); a crafted one of huge overlapping triangles could keep a worker busy for
# minutes, so rendering stops beyond this many canvases of paint.
MAX_PAINTED_CANVASES = 60


class MeshTooComplex(ValueError):
    """The projected triangles would cost too much to paint."""


def ensure_thumbnail(blob: Blob) -> Blob | None:
    """Make the thumbnail of ``blob`` if it has none yet; never raises.

    Returns the thumbnail, or None for kinds without one and when rendering failed (then
    ``thumbnail_state`` is ``failed`` and the error is logged).
    """
    if blob.thumbnail_state == ThumbnailState.READY and blob.thumbnail_id:
        return blob.thumbnail
    if blob.kind not in THUMBNAIL_KINDS:
        _record(blob, ThumbnailState.NONE, None)
        return None
    try:
        thumbnail = _store(render(blob))
    except Exception:
        logger.exception("thumbnail of blob %s (%s) failed", blob.pk, blob.kind)
        _record(blob, ThumbnailState.FAILED, None)
        return None
    _record(blob, ThumbnailState.READY, thumbnail)
    return thumbnail


def render(blob: Blob) -> bytes:
    """PNG bytes of the preview of ``blob``."""
    if blob.kind == Kind.STL:
        with open_blob(blob) as source, tempfile.NamedTemporaryFile(suffix=".stl") as local:
            # numpy-stl reads from a path; storage may not be a local file system.
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                local.write(chunk)
            local.flush()
            return render_stl(Path(local.name))
    with open_blob(blob) as source:
        return render_image(source, PILLOW_FORMATS[blob.kind])


def render_image(source: IO[bytes], pillow_format: str) -> bytes:
    """Upright (EXIF orientation applied) image scaled to fit 480×480, as PNG."""
    with Image.open(source, formats=[pillow_format]) as opened:
        opened.draft("RGB", (SIZE * 2, SIZE * 2))  # JPEG: decode at reduced size, much faster
        image = ImageOps.exif_transpose(opened)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        image.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
        return _png(image)


def render_stl(path: Path) -> bytes:
    return render_triangles(read_stl_triangles(path))


def render_triangles(triangles: np.ndarray) -> bytes:
    """Flat-shaded isometric rendering of (n, 3, 3) triangles on a 480×480 canvas, as PNG."""
    view, right, up = _camera()
    corners, depth = _project(triangles, view, right, up)
    _check_paint_budget(np.asarray(corners))
    colours = _shade(triangles, view, _light(view, right, up))
    canvas = SIZE * SUPERSAMPLE
    image = Image.new("RGB", (canvas, canvas), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for index in np.argsort(depth, kind="stable"):  # far first: near faces paint over them
        colour = tuple(colours[index])
        draw.polygon(corners[index], fill=colour, outline=colour)
    return _png(image.resize((SIZE, SIZE), Image.Resampling.LANCZOS))


def _project(
    triangles: np.ndarray, view: np.ndarray, right: np.ndarray, up: np.ndarray
) -> tuple[list[list[float]], np.ndarray]:
    """Orthographic projection fitted to the supersampled canvas: six pixel coordinates per
    triangle (y down), and each triangle's mean depth towards the viewer."""
    screen_x, screen_y = triangles @ right, triangles @ up
    canvas = SIZE * SUPERSAMPLE
    extent = max(float(np.ptp(screen_x)), float(np.ptp(screen_y))) or 1.0
    scale = canvas * (1 - 2 * MARGIN) / extent
    xs = (screen_x - (screen_x.max() + screen_x.min()) / 2) * scale + canvas / 2
    ys = canvas / 2 - (screen_y - (screen_y.max() + screen_y.min()) / 2) * scale
    corners = np.stack([xs, ys], axis=-1).reshape(len(triangles), 6).tolist()
    return corners, (triangles @ view).mean(axis=1)


def _check_paint_budget(corners: np.ndarray) -> None:
    x0, y0, x1, y1, x2, y2 = corners.T
    painted = 0.5 * np.abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)).sum()
    if painted > MAX_PAINTED_CANVASES * (SIZE * SUPERSAMPLE) ** 2:
        raise MeshTooComplex(f"{painted:.0f} pixels to paint")


def _camera() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors of an isometric view from front-right-above, Z up: towards the viewer,
    screen right and screen up."""
    view = np.array([1.0, -1.0, 1.0]) / np.sqrt(3.0)
    right = np.cross([0.0, 0.0, 1.0], view)
    right /= np.linalg.norm(right)
    return view, right, np.cross(view, right)


def _light(view: np.ndarray, right: np.ndarray, up: np.ndarray) -> np.ndarray:
    light = 0.8 * view + 0.6 * up - 0.3 * right  # from over the viewer's left shoulder
    return light / np.linalg.norm(light)


def _shade(triangles: np.ndarray, view: np.ndarray, light: np.ndarray) -> np.ndarray:
    """RGB per triangle: ambient plus Lambert diffuse from normals turned towards the viewer
    (STL windings are often inconsistent, so both sides of a face are lit the same)."""
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    normals = normals / np.where(lengths == 0, 1.0, lengths)[:, None]
    normals *= np.where(normals @ view < 0, -1.0, 1.0)[:, None]
    intensity = AMBIENT + DIFFUSE * np.clip(normals @ light, 0.0, 1.0)
    return np.clip(MODEL_COLOUR * intensity[:, None], 0, 255).astype(np.uint8)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _store(png: bytes) -> Blob:
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    thumbnail, created = save_blob(
        png,
        sha256=sha256_of(png),
        size=len(png),
        kind=Kind.PNG,
        meta={"width": width, "height": height},
        thumbnail_state=ThumbnailState.READY,
    )
    if created:
        _record(thumbnail, ThumbnailState.READY, thumbnail)
    return thumbnail


def _record(blob: Blob, state: str, thumbnail: Blob | None) -> None:
    Blob.objects.filter(pk=blob.pk).update(thumbnail=thumbnail, thumbnail_state=state)
    blob.thumbnail, blob.thumbnail_state = thumbnail, state
