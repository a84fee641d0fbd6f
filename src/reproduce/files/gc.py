"""Removing stored bytes that nothing points at any more.

Two kinds of leftovers: a file written by an upload whose surrounding transaction later
rolled back (no Blob row), and a Blob that no attachment uses any more (a design file removed,
a draft deleted). Attachments are found through every foreign key and many-to-many relation
that points at Blob, so a new app that attaches blobs is covered without changing this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from reproduce.files.models import Blob


@dataclass
class GcReport:
    orphan_files: int = 0
    unused_blobs: int = 0


def _referencing_q() -> Q:
    """Blobs some row of another model (or a thumbnail link) points at."""
    q = Q(pk__in=Blob.objects.filter(thumbnail__isnull=False).values("thumbnail_id"))
    # Hidden relations too: attachments often say related_name="+".
    relations = [
        f for f in Blob._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete
    ]
    for relation in relations:
        model: Any = relation.related_model
        if model is Blob or model is None:
            continue
        manager: Any = getattr(model, "objects", None) or model._default_manager
        queryset = (
            manager.unscoped("garbage collection looks at every attachment")
            if hasattr(manager, "unscoped")
            else manager.all()
        )
        rel: Any = relation
        if rel.many_to_many:
            through = rel.through
            column = next(
                f.attname for f in through._meta.concrete_fields if f.related_model is Blob
            )
            q |= Q(pk__in=through.objects.values(column))
        else:
            q |= Q(pk__in=queryset.values(rel.field.attname))
    return q


def collect(*, older_than: timedelta = timedelta(hours=1), dry_run: bool = False) -> GcReport:
    """Delete unreferenced blobs and stored files older than ``older_than``."""
    report = GcReport()
    cutoff = timezone.now() - older_than
    unused = Blob.objects.filter(created_at__lt=cutoff).exclude(_referencing_q())
    for blob in unused:
        report.unused_blobs += 1
        if not dry_run:
            blob.delete()
            if not Blob.objects.filter(storage_name=blob.storage_name).exists():
                default_storage.delete(blob.storage_name)
    known = set(Blob.objects.values_list("storage_name", flat=True))
    for name in _stored_names("blobs"):
        if name in known:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except (OSError, NotImplementedError):
            continue
        if modified < cutoff:
            report.orphan_files += 1
            if not dry_run:
                default_storage.delete(name)
    return report


def _stored_names(folder: str) -> list[str]:
    if not default_storage.exists(folder):
        return []
    dirs, files = default_storage.listdir(folder)
    names = [f"{folder}/{f}" for f in files]
    for d in dirs:
        names += _stored_names(f"{folder}/{d}")
    return names
