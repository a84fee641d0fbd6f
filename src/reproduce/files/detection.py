"""What an uploaded file really is, decided from its bytes.

The file name and the browser's content type are whatever the sender chose; the kind stored
and later used to serve the file comes from the content, and each format is validated by
really parsing it (Pillow, numpy-stl, ezdxf, defusedxml), so a file that only starts like a
PNG is refused. The name is then checked against the detected kind (``check_extension``), so
that the file a person downloads later opens in the program its name promises.
"""

from __future__ import annotations

import codecs
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import ezdxf
import numpy as np
from django.utils.translation import gettext_lazy as _
from ezdxf.filemanagement import dxf_stream_info
from PIL import Image
from stl import Mode
from stl import mesh as stl_mesh

from reproduce.files import archives, svg
from reproduce.files.errors import Codes, FileRejected
from reproduce.files.kinds import DESCRIPTIONS, EXTENSIONS, MEDIA_TYPES, PILLOW_FORMATS
from reproduce.files.models import Kind

HEAD_BYTES = 8192
SCAN_CHUNK = 1024 * 1024
PDF_SCAN_BYTES = 20 * 1024 * 1024  # count PDF pages only where it is cheap


@dataclass(frozen=True)
class Detected:
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


Sniffer = Callable[[Path, bytes, int], Detected | None]


def detect(path: Path) -> Detected:
    """Detect and validate the kind of the file at ``path``; raise ``FileRejected`` if none."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejected(_("The file is empty."), code=Codes.EMPTY)
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    # Formats with a magic number first; text-based formats before plain text.
    for sniff in _SNIFFERS:
        found = sniff(path, head, size)
        if found is not None:
            return found
    raise FileRejected(
        _(
            "This type of file is not accepted. Accepted types: STL, 3MF, STEP, DXF, SVG, PDF, "
            "PNG, JPEG, WebP, GIF, ZIP and plain text."
        ),
        code=Codes.UNSUPPORTED,
    )


def check_extension(filename: str, kind: str) -> None:
    """Refuse a file whose name promises another type than its content."""
    extension = PurePosixPath(filename).suffix.lower()
    expected = EXTENSIONS[kind]
    if extension in expected:
        return
    params = {"kind": DESCRIPTIONS[kind], "expected": " / ".join(expected)}
    if not extension:
        raise FileRejected(
            _("The file name has no extension: %(kind)s should end in %(expected)s."),
            code=Codes.TYPE_MISMATCH,
            params=params,
        )
    raise FileRejected(
        _("This file is named %(extension)s but its content is %(kind)s."),
        code=Codes.TYPE_MISMATCH,
        params={**params, "extension": extension},
    )


def corrupt(kind: str) -> FileRejected:
    return FileRejected(
        _("The file looks like %(kind)s but cannot be read: it is damaged or incomplete."),
        code=Codes.CORRUPT,
        params={"kind": DESCRIPTIONS[kind]},
    )


def _stripped(head: bytes) -> bytes:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()


def _tail(path: Path, size: int, length: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(max(0, size - length))
        return fh.read()


# Images -----------------------------------------------------------------------------------

_IMAGE_MAGICS = (
    (b"\x89PNG\r\n\x1a\n", Kind.PNG),
    (b"\xff\xd8\xff", Kind.JPEG),
    (b"GIF87a", Kind.GIF),
    (b"GIF89a", Kind.GIF),
)


def _image_kind(head: bytes) -> str | None:
    for magic, kind in _IMAGE_MAGICS:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind.WEBP
    return None


def _sniff_image(path: Path, head: bytes, size: int) -> Detected | None:
    kind = _image_kind(head)
    if kind is None:
        return None
    try:
        with Image.open(path, formats=[PILLOW_FORMATS[kind]]) as image:
            width, height = image.size
            _check_pixels(width, height)
            image.verify()
    except Image.DecompressionBombError as exc:
        raise image_too_large() from exc
    except FileRejected:
        raise
    except Exception as exc:  # Pillow reports damaged data with many exception types
        raise corrupt(kind) from exc
    return Detected(kind, {"width": width, "height": height})


def _check_pixels(width: int, height: int) -> None:
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse from the limit.
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise image_too_large()


def image_too_large() -> FileRejected:
    limit = Image.MAX_IMAGE_PIXELS or 0
    return FileRejected(
        _(
            "The image has too many pixels to be processed safely (at most %(limit)s "
            "megapixels): reduce its dimensions and upload it again."
        ),
        code=Codes.IMAGE_TOO_LARGE,
        params={"limit": limit // 1_000_000},
    )


# PDF --------------------------------------------------------------------------------------

_PDF_VERSION = re.compile(rb"%PDF-(\d\.\d)")
_PDF_PAGE = re.compile(rb"/Type\s{0,8}/Page(?![A-Za-z])")
_PAGE_OVERLAP = 32


def _sniff_pdf(path: Path, head: bytes, size: int) -> Detected | None:
    version = _PDF_VERSION.match(head)
    if version is None:
        return None
    if b"%%EOF" not in _tail(path, size, 2048):
        raise corrupt(Kind.PDF)
    meta: dict[str, Any] = {"version": version.group(1).decode("ascii")}
    pages = _count_pdf_pages(path) if size <= PDF_SCAN_BYTES else 0
    if pages:  # zero when the page objects sit in compressed object streams
        meta["pages"] = pages
    return Detected(Kind.PDF, meta)


def _count_pdf_pages(path: Path) -> int:
    count, carry = 0, b""
    with path.open("rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            data = carry + chunk
            # A match starting in the last bytes is counted with the next chunk.
            cut = len(data) - _PAGE_OVERLAP
            count += sum(1 for m in _PDF_PAGE.finditer(data) if m.start() < cut)
            carry = data[cut:] if cut > 0 else data
    return count + len(_PDF_PAGE.findall(carry))


# ZIP and 3MF ------------------------------------------------------------------------------


def _sniff_zip(path: Path, head: bytes, size: int) -> Detected | None:
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return None
    names = {name.lower() for name in archives.entry_names(path)}
    return Detected(Kind.THREEMF if "3d/3dmodel.model" in names else Kind.ZIP)


# STEP -------------------------------------------------------------------------------------

_STEP_SCHEMA = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([^']{1,80})'")


def _sniff_step(path: Path, head: bytes, size: int) -> Detected | None:
    if not _stripped(head).startswith(b"ISO-10303-21;"):
        return None
    if b"END-ISO-10303-21;" not in _tail(path, size, 4096):
        raise corrupt(Kind.STEP)
    schema = _STEP_SCHEMA.search(head)
    meta = {"schema": schema.group(1).decode("ascii", "replace")} if schema else {}
    return Detected(Kind.STEP, meta)


# DXF --------------------------------------------------------------------------------------


def _looks_like_dxf(head: bytes) -> bool:
    lines = [line.strip() for line in _stripped(head).splitlines()[:12]]
    while lines[:1] == [b"999"]:  # comment lines before the first section
        lines = lines[2:]
    return lines[:2] == [b"0", b"SECTION"]


def _sniff_dxf(path: Path, head: bytes, size: int) -> Detected | None:
    if head.startswith(b"AutoCAD Binary DXF"):
        raise FileRejected(
            _("Binary DXF files are not accepted: save the drawing as an ASCII DXF."),
            code=Codes.UNSUPPORTED,
        )
    if not _looks_like_dxf(head):
        return None
    try:
        with path.open("rt", encoding="utf-8", errors="ignore") as fh:
            encoding = dxf_stream_info(fh).encoding
        with path.open("rt", encoding=encoding, errors="surrogateescape") as fh:
            document = ezdxf.read(fh)
        meta = {
            "version": document.dxfversion,
            "entities": len(document.modelspace()),
            "units": int(document.header.get("$INSUNITS", 0)),
        }
    except Exception as exc:  # ezdxf signals a broken structure with many exception types
        raise corrupt(Kind.DXF) from exc
    return Detected(Kind.DXF, meta)


# SVG --------------------------------------------------------------------------------------


def _sniff_svg(path: Path, head: bytes, size: int) -> Detected | None:
    start = _stripped(head)
    if not start.startswith(b"<") or b"<svg" not in head.lower():
        return None
    try:
        root = svg.parse_svg(path.read_bytes())
    except FileRejected as exc:
        # An HTML page with an inline <svg> is not XML: let the text rules answer it.
        if exc.code == Codes.CORRUPT and not start.lower().startswith((b"<?xml", b"<svg")):
            return None
        raise
    if svg.local_name(root.tag)[1] != "svg":
        return None
    meta = {key: root.get(key) for key in ("width", "height", "viewBox") if root.get(key)}
    return Detected(Kind.SVG, meta)


# STL --------------------------------------------------------------------------------------


def binary_stl_count(head: bytes, size: int) -> int | None:
    """Triangle count of a binary STL (whose size is exactly 84 + 50 per triangle), or None."""
    if len(head) < 84:
        return None
    (count,) = struct.unpack_from("<I", head, 80)
    return count if size == 84 + 50 * count else None


def read_stl_triangles(path: Path) -> np.ndarray:
    """The triangles of an STL file as an (n, 3, 3) array, binary or ASCII."""
    with path.open("rb") as fh:
        head = fh.read(84)
    binary = binary_stl_count(head, path.stat().st_size) is not None
    mode = Mode.BINARY if binary else Mode.ASCII
    mesh = stl_mesh.Mesh.from_file(str(path), calculate_normals=False, mode=mode)
    return np.asarray(mesh.vectors, dtype=np.float64)


def _sniff_stl(path: Path, head: bytes, size: int) -> Detected | None:
    ascii_start = _stripped(head).lower().startswith(b"solid") and b"facet" in head.lower()
    if binary_stl_count(head, size) is None and not ascii_start:
        return None
    try:
        triangles = read_stl_triangles(path)
    except Exception as exc:  # numpy-stl raises assertion, value and runtime errors
        raise corrupt(Kind.STL) from exc
    if len(triangles) == 0 or not np.isfinite(triangles).all():
        raise corrupt(Kind.STL)
    points = triangles.reshape(-1, 3)
    low, high = points.min(axis=0), points.max(axis=0)
    meta = {
        "triangles": len(triangles),
        "bbox_min_mm": [round(float(v), 3) for v in low],
        "bbox_max_mm": [round(float(v), 3) for v in high],
        "size_mm": [round(float(v), 3) for v in high - low],
    }
    return Detected(Kind.STL, meta)


# Plain text -------------------------------------------------------------------------------


def html_refused() -> FileRejected:
    return FileRejected(_("HTML pages are not accepted: save the page as PDF."), code=Codes.HTML)


def _sniff_text(path: Path, head: bytes, size: int) -> Detected | None:
    if b"\x00" in head:
        return None
    if _stripped(head).lower().startswith((b"<!doctype html", b"<html")):
        raise html_refused()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, window, last = 0, b"", b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            if b"\x00" in chunk:
                return None
            window = window[-7:] + chunk.lower()
            if b"<script" in window:
                raise html_refused()
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return Detected(Kind.TEXT, {"lines": lines + (0 if last == b"\n" else 1)})


_SNIFFERS: tuple[Sniffer, ...] = (
    _sniff_image,
    _sniff_pdf,
    _sniff_zip,
    _sniff_step,
    _sniff_dxf,
    _sniff_svg,
    _sniff_stl,
    _sniff_text,
)
