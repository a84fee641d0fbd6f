"""Serving a stored file with headers that keep user content from acting as our website.

Whatever a file contains, the browser must treat it as the detected type and nothing else
(nosniff), must not run it as part of our origin (a sandboxing Content-Security-Policy), and
other sites must not embed it (Cross-Origin-Resource-Policy). Only previewable types are
shown inline; everything else is downloaded. Call this from a view that has already checked
that the person may see the file.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import FileResponse

from reproduce.files.kinds import INLINE_KINDS, MEDIA_TYPES
from reproduce.files.models import Blob, Kind
from reproduce.files.services import safe_filename
from reproduce.files.storage import open_blob

SANDBOXED_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
# Browsers' PDF viewers do not work inside a sandbox; the document still loads nothing else.
PDF_CSP = "default-src 'none'; object-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'"


def blob_response(blob: Blob, filename: str, *, inline: bool) -> FileResponse:
    """Stream ``blob`` as ``filename``; ``inline`` is honoured only for previewable kinds."""
    shown_inline = inline and blob.kind in INLINE_KINDS
    response = FileResponse(open_blob(blob), content_type=content_type(blob.kind))
    response["Content-Disposition"] = content_disposition(
        "inline" if shown_inline else "attachment", filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PDF_CSP if blob.kind == Kind.PDF else SANDBOXED_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["ETag"] = f'"{blob.sha256}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


def content_type(kind: str) -> str:
    if kind == Kind.TEXT:
        return "text/plain; charset=utf-8"
    return MEDIA_TYPES[kind]


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the exact name as ``filename*=UTF-8''…``."""
    name = safe_filename(filename)
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%' else "_" for c in name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
