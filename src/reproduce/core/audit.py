"""The append-only, hash-chained audit log.

Services call :func:`record` inside their transaction; the entry commits or rolls back with
the change it describes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from reproduce.core.actor import Actor
from reproduce.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _canonical(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def entry_hash(previous_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256((previous_hash + _canonical(entry)).encode()).hexdigest()


def _entry(event: AuditEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "organization": event.organization_id_ref,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that changed, as ``{field: [old, new]}``."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-able picture of a model's concrete fields (for :func:`diff`)."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    picture = {}
    for name in names:
        # A foreign key named by its field ("process") is recorded by its id.
        field = next((f for f in obj._meta.concrete_fields if f.name == name), None)
        attname = field.attname if field is not None else name
        picture[name] = getattr(obj, attname)
    return _jsonable(picture)


def record(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    organization_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain (call inside the service's transaction)."""
    user = actor.user if actor is not None else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            sequence=head.last_sequence + 1,
            occurred_at=timezone.now(),
            actor=user,
            actor_label=getattr(user, "email", "") if user is not None else "system",
            organization_id_ref=organization_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            changes=_jsonable(changes or {}),
            previous_hash=head.last_hash,
        )
        event.hash = entry_hash(head.last_hash, _entry(event))
        event.save()
        # Conditional update: a concurrent writer that slipped past the lock (SQLite) fails here.
        updated = AuditChainHead.objects.filter(pk=1, last_sequence=head.last_sequence).update(
            last_sequence=event.sequence, last_hash=event.hash
        )
        if updated != 1:
            raise RuntimeError("audit chain moved during append; retry the change")
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Walk the chain in order; name the first entry whose link or content does not hold."""
    previous = GENESIS
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return VerifyResult(
                False,
                checked,
                expected_sequence,
                f"entry #{expected_sequence} is missing (next is #{event.sequence})",
            )
        if event.previous_hash != previous:
            return VerifyResult(
                False,
                checked,
                event.sequence,
                "its previous-hash does not match the entry before it",
            )
        if entry_hash(previous, _entry(event)) != event.hash:
            return VerifyResult(
                False, checked, event.sequence, "its content was changed after it was written"
            )
        previous = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_sequence != checked:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"the chain ends at #{checked} but #{head.last_sequence} was written",
        )
    return VerifyResult(True, checked)


def occurred_between(start: datetime, end: datetime) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
