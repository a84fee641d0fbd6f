"""ingest: what is stored, what is refused, and that a refusal leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from reproduce.files.models import Blob
from reproduce.files.services import FileRejected, ingest, open_blob, safe_filename
from reproduce.files.storage import storage_name_for
from reproduce.files.tests import samples

pytestmark = pytest.mark.django_db


def refusal(data: bytes, name: str, **kwargs: Any) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        ingest(io.BytesIO(data), name, **kwargs)
    return caught.value


def test_an_upload_is_stored_under_its_hash(stored_files, media_root: Path) -> None:
    data = samples.stl_bytes()
    blob = ingest(SimpleUploadedFile("bracket.stl", data), "bracket.stl")
    digest = hashlib.sha256(data).hexdigest()
    assert (blob.sha256, blob.size, blob.kind, blob.media_type) == (
        digest,
        len(data),
        "stl",
        "model/stl",
    )
    assert blob.storage_name == f"blobs/{digest[:2]}/{digest[2:4]}/{digest}"
    assert stored_files() == [media_root / blob.storage_name]
    assert blob.meta["triangles"] == 12
    assert blob.thumbnail_state == "pending"
    with open_blob(blob) as stored:
        assert stored.read() == data


def test_model_properties() -> None:
    png = ingest(io.BytesIO(samples.image_bytes()), "photo.png")
    stl = ingest(io.BytesIO(samples.stl_bytes()), "part.stl")
    pdf = ingest(io.BytesIO(samples.pdf_bytes()), "plan.pdf")
    assert png.is_image and not png.is_previewable_3d
    assert stl.is_previewable_3d and not stl.is_image
    assert pdf.thumbnail_state == "none"
    assert Blob(size=1536).human_size == "1,5\xa0KB"


def test_same_content_twice_is_stored_once(stored_files) -> None:
    data = samples.image_bytes()
    first = ingest(io.BytesIO(data), "photo.png")
    second = ingest(SimpleUploadedFile("other-name.png", data), "other-name.png")
    assert first.pk == second.pk
    assert Blob.objects.count() == 1
    assert len(stored_files()) == 1


def test_archives_are_checked_and_measured() -> None:
    blob = ingest(io.BytesIO(samples.zip_bytes({"a.txt": b"x" * 10})), "parts.zip")
    assert blob.meta == {"entries": 1, "uncompressed_bytes": 10}
    assert ingest(io.BytesIO(samples.threemf_bytes()), "model.3mf").kind == "threemf"


def test_svg_is_stored_sanitised_and_hashed_as_stored(stored_files) -> None:
    data = samples.SVG.replace(b"<rect ", b"<!-- Inkscape --><metadata>x</metadata><rect ")
    blob = ingest(io.BytesIO(data), "plate.svg")
    stored = stored_files()[0].read_bytes()
    assert b"Inkscape" not in stored and b"metadata" not in stored and b"<rect" in stored
    assert blob.sha256 == hashlib.sha256(stored).hexdigest() and blob.size == len(stored)


@pytest.mark.parametrize(
    "active",
    [
        b"<script>alert(1)</script><rect ",
        b'<rect onload="x()" ',
        b'<a href="javascript:alert(1)"><circle r="2"/></a><rect ',
        b"<foreignObject><p>x</p></foreignObject><rect ",
    ],
)
def test_svg_with_active_content_is_refused_and_nothing_stored(stored_files, active) -> None:
    with pytest.raises(FileRejected) as refused:
        ingest(io.BytesIO(samples.SVG.replace(b"<rect ", active)), "plate.svg")
    assert refused.value.code == "unsafe_content"
    assert "Plain SVG" in refused.value.messages[0]
    assert stored_files() == []


# Refusals -------------------------------------------------------------------------------

REFUSALS = [
    pytest.param(samples.image_bytes(), "bracket.stl", "type_mismatch", id="png-named-stl"),
    pytest.param(b"<!doctype html><p>x</p>", "spec.txt", "html_refused", id="html-as-txt"),
    pytest.param(
        samples.zip_bytes({"../evil.txt": b"x"}), "parts.zip", "archive_unsafe", id="traversal"
    ),
    pytest.param(
        samples.zip_bytes({"/etc/passwd": b"x"}), "parts.zip", "archive_unsafe", id="absolute"
    ),
    pytest.param(samples.symlink_zip(), "parts.zip", "archive_unsafe", id="symlink"),
    pytest.param(
        samples.zip_bytes({"in.zip": samples.zip_bytes({"a": b"a"})}),
        "parts.zip",
        "archive_unsafe",
        id="nested",
    ),
    pytest.param(samples.lying_zip(), "parts.zip", "archive_unsafe", id="lying-bomb"),
    pytest.param(
        b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
        "x.svg",
        "unsafe_content",
        id="xxe",
    ),
    pytest.param(b"\x00\x01\x02" * 50, "blob.bin", "unsupported_type", id="unknown"),
    pytest.param(samples.image_bytes()[:50], "photo.png", "corrupt", id="truncated-png"),
]


@pytest.mark.parametrize(("data", "name", "code"), REFUSALS)
def test_refused_uploads_leave_nothing_behind(
    data: bytes, name: str, code: str, stored_files, upload_temp_dir: Path
) -> None:
    assert refusal(data, name).code == code
    assert Blob.objects.count() == 0
    assert stored_files() == []
    assert list(upload_temp_dir.iterdir()) == []


def test_a_file_over_the_limit_is_refused_while_streaming(settings, stored_files) -> None:
    settings.FILES_MAX_BYTES = 10_000
    reads = []

    class Endless(io.RawIOBase):
        """A sender that never stops: ingest must stop reading, not the sender."""

        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return b"a" * size

    with pytest.raises(FileRejected) as caught:
        ingest(Endless(), "notes.txt")
    rejected = caught.value
    assert rejected.code == "file_too_large"
    assert str(rejected) == "The file is larger than the limit of 0,01 MB."
    assert len(reads) == 1  # the first 64 kB chunk was already over the limit
    assert stored_files() == [] and Blob.objects.count() == 0


def test_max_bytes_lowers_the_limit_for_one_use() -> None:
    data = samples.image_bytes(size=(400, 400))
    assert ingest(io.BytesIO(data), "photo.png").kind == "png"
    rejected = refusal(samples.image_bytes(size=(401, 400)), "photo.png", max_bytes=100)
    assert rejected.code == "file_too_large"
    assert str(rejected) == "The file is larger than the limit of 0,01 MB."


def test_the_default_limit_message_names_it(settings) -> None:
    settings.FILES_MAX_BYTES = 100 * 1024 * 1024
    upload = SimpleUploadedFile("big.txt", b"x")
    upload.size = 200 * 1024 * 1024  # declared by Django's upload handler
    with pytest.raises(FileRejected) as caught:
        ingest(upload, "big.txt")
    assert str(caught.value) == "The file is larger than the limit of 100 MB."


def test_allowed_kinds_narrow_what_is_accepted(stored_files) -> None:
    rejected = refusal(samples.pdf_bytes(), "plan.pdf", allowed_kinds={"png", "jpeg"})
    assert rejected.code == "type_not_allowed"
    assert str(rejected) == (
        "The file is a PDF document, which is not accepted here. Accepted: JPEG image, PNG image."
    )
    assert stored_files() == []


def test_a_failed_insert_removes_the_stored_file(monkeypatch, stored_files) -> None:
    def fail(**kwargs: Any) -> Blob:
        raise DatabaseError("disk full")

    monkeypatch.setattr(Blob.objects, "create", fail)
    with pytest.raises(DatabaseError):
        ingest(io.BytesIO(samples.image_bytes()), "photo.png")
    assert stored_files() == []


def test_a_half_written_file_from_a_crash_is_written_again(media_root: Path) -> None:
    data = samples.image_bytes()
    leftover = media_root / storage_name_for(hashlib.sha256(data).hexdigest())
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(data[:10])
    blob = ingest(io.BytesIO(data), "photo.png")
    assert (media_root / blob.storage_name).read_bytes() == data


def test_thumbnails_are_queued_after_commit_for_images_and_meshes(
    django_capture_on_commit_callbacks, immediate_tasks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest(io.BytesIO(samples.pdf_bytes()), "plan.pdf")
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        blob = ingest(io.BytesIO(samples.stl_bytes()), "part.stl")
    assert len(callbacks) == 1
    blob.refresh_from_db()
    assert blob.thumbnail_state == "ready" and blob.thumbnail is not None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest(io.BytesIO(samples.stl_bytes()), "again.stl")  # known content: nothing queued
    assert callbacks == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bracket.stl", "bracket.stl"),
        ("C:\\Users\\ana\\Desktop\\plan v2.pdf", "plan v2.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        (".htaccess", "htaccess"),
        ("..", "file"),
        ("", "file"),
        ("Montage – étagère.md", "Montage – étagère.md"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_keeps_the_extension_when_shortening() -> None:
    shortened = safe_filename("a" * 500 + ".step")
    assert len(shortened) == 180 and shortened.endswith(".step")
