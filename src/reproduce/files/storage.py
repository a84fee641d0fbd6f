"""Writing verified bytes to storage and recording them as a Blob, exactly once per content.

Shared by ``services.ingest`` (uploads) and the thumbnail renderer, which stores its PNGs as
blobs too. The file is written before the row and removed again if the row cannot be
written, so a failure never leaves a stored file that no row points at.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from reproduce.files.kinds import MEDIA_TYPES
from reproduce.files.models import Blob


def storage_name_for(sha256: str) -> str:
    """``blobs/ab/cd/<sha256>``: two fan-out levels keep folders small."""
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_blob(
    source: Path | bytes,
    *,
    sha256: str,
    size: int,
    kind: str,
    meta: dict[str, Any],
    thumbnail_state: str,
) -> tuple[Blob, bool]:
    """Return the Blob of this content, storing it if new; the flag says whether it was new."""
    existing = Blob.objects.filter(sha256=sha256).first()
    if existing is not None:
        return existing, False
    name, written = _write(source, sha256=sha256, size=size)
    try:
        with transaction.atomic():
            blob = Blob.objects.create(
                sha256=sha256,
                size=size,
                kind=kind,
                media_type=MEDIA_TYPES[kind],
                storage_name=name,
                meta=meta,
                thumbnail_state=thumbnail_state,
            )
    except IntegrityError:
        # The same content was committed by a concurrent upload: its row is the one. The file
        # under the canonical name holds the same bytes and stays; a second copy goes.
        if written and name != storage_name_for(sha256):
            default_storage.delete(name)
        return Blob.objects.get(sha256=sha256), False
    except BaseException:
        if written:
            default_storage.delete(name)
        raise
    return blob, True


def _write(source: Path | bytes, *, sha256: str, size: int) -> tuple[str, bool]:
    """Store the bytes under their canonical name unless a complete copy is already there."""
    name = storage_name_for(sha256)
    if default_storage.exists(name):
        if default_storage.size(name) == size:
            return name, False
        default_storage.delete(name)  # left half-written by a crash: write it again
    if isinstance(source, bytes):
        return default_storage.save(name, ContentFile(source)), True
    with source.open("rb") as fh:
        return default_storage.save(name, File(fh)), True


def open_blob(blob: Blob) -> IO[bytes]:
    """Open the stored bytes for reading (the caller closes the file)."""
    return default_storage.open(blob.storage_name, "rb")
