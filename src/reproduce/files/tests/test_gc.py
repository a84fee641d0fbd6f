"""Garbage collection keeps what is attached and removes leftovers."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from reproduce.files.gc import collect
from reproduce.files.models import Blob
from reproduce.files.services import ingest

pytestmark = pytest.mark.django_db


def test_gc_removes_unused_blobs_and_orphans_but_keeps_attached(network: Any) -> None:
    attached = network.a.designs["file"].blob
    unused = ingest(io.BytesIO(b"just some notes\n"), "notes.txt")
    orphan = default_storage.save("blobs/00/00/" + "0" * 64, ContentFile(b"left behind"))
    report = collect(older_than=timedelta(0), dry_run=True)
    assert report.unused_blobs >= 1 and report.orphan_files == 1
    assert Blob.objects.filter(pk=unused.pk).exists()  # dry run changes nothing
    call_command("files", "gc", "--older-than-hours", "0")
    assert not Blob.objects.filter(pk=unused.pk).exists()
    assert not default_storage.exists(unused.storage_name)
    assert not default_storage.exists(orphan)
    assert Blob.objects.filter(pk=attached.pk).exists()
    assert default_storage.exists(attached.storage_name)
