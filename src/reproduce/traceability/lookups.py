"""Finding a lot for a page or an API call: 404 whether it is foreign or missing."""

from __future__ import annotations

from django.http import Http404

from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.inventory.models import Lot
from reproduce.traceability.selectors import sees_everything


def visible_lot(actor: Actor, code: str) -> Lot:
    """A lot the actor may see (owner, custodian, pool member; coordinators: any), by code."""
    lot = (
        Lot.objects.visible_to(actor)
        .select_related("item", "owner", "custodian", "site", "pool")
        .filter(code=code)
        .first()
    )
    if lot is None:
        raise Http404
    return lot  # type: ignore[no-any-return]


def owned_lot(actor: Actor, code: str, perm: str) -> Lot:
    """A lot its owner acts on: a lot merely held or pooled answers 404, a member of the
    owner lacking ``perm`` gets 403 (coordinators: 403 too; they act through their routes)."""
    lot = visible_lot(actor, code)
    if lot.owner_id not in actor.organization_ids and not sees_everything(actor):
        raise Http404
    require(actor, perm, lot.owner_id)
    return lot
