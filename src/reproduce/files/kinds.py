"""Facts about each kind of file: media type, accepted file name extensions, wording."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reproduce.files.models import IMAGE_KINDS, Kind

MEDIA_TYPES: dict[str, str] = {
    Kind.STL: "model/stl",
    Kind.THREEMF: "model/3mf",
    Kind.STEP: "model/step",
    Kind.DXF: "image/vnd.dxf",
    Kind.SVG: "image/svg+xml",
    Kind.PDF: "application/pdf",
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
    Kind.WEBP: "image/webp",
    Kind.GIF: "image/gif",
    Kind.ZIP: "application/zip",
    Kind.TEXT: "text/plain",
}

EXTENSIONS: dict[str, tuple[str, ...]] = {
    Kind.STL: (".stl",),
    Kind.THREEMF: (".3mf",),
    Kind.STEP: (".step", ".stp"),
    Kind.DXF: (".dxf",),
    Kind.SVG: (".svg",),
    Kind.PDF: (".pdf",),
    Kind.PNG: (".png",),
    Kind.JPEG: (".jpg", ".jpeg"),
    Kind.WEBP: (".webp",),
    Kind.GIF: (".gif",),
    Kind.ZIP: (".zip",),
    Kind.TEXT: (".txt", ".md"),
}

# With the article, as they end a sentence: "its content is a PNG image".
DESCRIPTIONS: dict[str, Promise] = {
    Kind.STL: _("an STL mesh"),
    Kind.THREEMF: _("a 3MF model"),
    Kind.STEP: _("a STEP model"),
    Kind.DXF: _("a DXF drawing"),
    Kind.SVG: _("an SVG drawing"),
    Kind.PDF: _("a PDF document"),
    Kind.PNG: _("a PNG image"),
    Kind.JPEG: _("a JPEG image"),
    Kind.WEBP: _("a WebP image"),
    Kind.GIF: _("a GIF image"),
    Kind.ZIP: _("a ZIP archive"),
    Kind.TEXT: _("plain text"),
}

ARCHIVE_KINDS = frozenset({Kind.ZIP, Kind.THREEMF})
# Shown in the browser when asked; everything else is always downloaded.
INLINE_KINDS = IMAGE_KINDS | {Kind.SVG, Kind.PDF, Kind.STL}
PILLOW_FORMATS: dict[str, str] = {
    Kind.PNG: "PNG",
    Kind.JPEG: "JPEG",
    Kind.WEBP: "WEBP",
    Kind.GIF: "GIF",
}
