"""Taking in uploaded files: the only way bytes from outside become a stored Blob.

``ingest`` streams the upload to a private temporary file while hashing it, so nothing is
stored until the content has been detected, matched with its name, checked (archives) or
rebuilt (SVG). The file is then stored once per content: uploading the same drawing again
returns the existing Blob.
"""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from reproduce.files import archives, detection
from reproduce.files.errors import Codes, FileRejected, megabytes
from reproduce.files.kinds import ARCHIVE_KINDS, DESCRIPTIONS
from reproduce.files.models import THUMBNAIL_KINDS, Blob, Kind, ThumbnailState
from reproduce.files.storage import open_blob, save_blob, sha256_of
from reproduce.files.svg import accept_svg
from reproduce.files.tasks import make_thumbnail

__all__ = ["FileRejected", "ingest", "open_blob", "safe_filename"]

CHUNK_SIZE = 64 * 1024
MAX_FILENAME_LENGTH = 180


@dataclass(frozen=True)
class _Spooled:
    path: Path
    sha256: str
    size: int


def ingest(
    fileobj: IO[bytes] | Any,
    filename: str,
    *,
    allowed_kinds: set[str] | None = None,
    max_bytes: int | None = None,
) -> Blob:
    """Check an uploaded file and store it; return its Blob (an existing one for known content).

    ``fileobj`` is a Django ``UploadedFile`` or any binary file object; ``filename`` is the
    name the sender gave. ``allowed_kinds`` narrows the accepted kinds for this use (a photo
    field takes images only); ``max_bytes`` lowers ``settings.FILES_MAX_BYTES``. Raises
    ``FileRejected``; after a refusal nothing is stored.
    """
    limit = settings.FILES_MAX_BYTES if max_bytes is None else max_bytes
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int) and declared > limit:  # known before reading a byte
        raise file_too_large(limit)
    name = safe_filename(filename)
    with _spool(fileobj, limit) as upload:
        detected = detection.detect(upload.path)
        detection.check_extension(name, detected.kind)
        _check_allowed(detected.kind, allowed_kinds)
        meta = dict(detected.meta)
        if detected.kind in ARCHIVE_KINDS:
            meta.update(archives.check_zip(upload.path))
        if detected.kind == Kind.SVG:
            clean = accept_svg(upload.path.read_bytes())
            return _save(clean, sha256_of(clean), len(clean), detected.kind, meta)
        return _save(upload.path, upload.sha256, upload.size, detected.kind, meta)


def safe_filename(name: str) -> str:
    """A file name fit for headers and display: base name only, no control or bidi
    characters (which can disguise ``evil‮gnp.exe``), at most 180 characters, never empty."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    base = base.lstrip(".").strip() or "file"
    if len(base) <= MAX_FILENAME_LENGTH:
        return base
    suffix = PurePosixPath(base).suffix
    suffix = suffix if len(suffix) <= 16 else ""
    return base[: MAX_FILENAME_LENGTH - len(suffix)].rstrip() + suffix


def file_too_large(limit: int) -> FileRejected:
    return FileRejected(
        _("The file is larger than the limit of %(limit)s MB."),
        code=Codes.TOO_LARGE,
        params={"limit": megabytes(limit)},
    )


@contextmanager
def _spool(fileobj: Any, limit: int) -> Iterator[_Spooled]:
    """Copy the upload to a temporary file, hashing and counting; stop past ``limit``."""
    directory = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    with tempfile.NamedTemporaryFile(prefix="reproduce-upload-", dir=directory) as spool:
        digest, size = hashlib.sha256(), 0
        for chunk in _chunks(fileobj):
            size += len(chunk)
            if size > limit:
                raise file_too_large(limit)
            digest.update(chunk)
            spool.write(chunk)
        spool.flush()
        yield _Spooled(Path(spool.name), digest.hexdigest(), size)


def _chunks(fileobj: Any) -> Iterable[bytes]:
    if hasattr(fileobj, "chunks"):  # Django's UploadedFile and File
        return fileobj.chunks(CHUNK_SIZE)  # type: ignore[no-any-return]
    return iter(partial(fileobj.read, CHUNK_SIZE), b"")


def _check_allowed(kind: str, allowed_kinds: set[str] | None) -> None:
    if allowed_kinds is None or kind in allowed_kinds:
        return
    accepted = ", ".join(sorted(str(Kind(k).label) for k in allowed_kinds))
    raise FileRejected(
        _("The file is %(kind)s, which is not accepted here. Accepted: %(accepted)s."),
        code=Codes.NOT_ALLOWED,
        params={"kind": DESCRIPTIONS[kind], "accepted": accepted},
    )


def _save(source: Path | bytes, sha256: str, size: int, kind: str, meta: dict[str, Any]) -> Blob:
    wants_thumbnail = kind in THUMBNAIL_KINDS
    blob, created = save_blob(
        source,
        sha256=sha256,
        size=size,
        kind=kind,
        meta=meta,
        thumbnail_state=ThumbnailState.PENDING if wants_thumbnail else ThumbnailState.NONE,
    )
    if created and wants_thumbnail:
        transaction.on_commit(partial(make_thumbnail.enqueue, blob.pk))
    return blob
