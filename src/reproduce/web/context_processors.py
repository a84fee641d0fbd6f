from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    """The organisation switcher and the map settings, for every page."""
    actor = getattr(request, "actor", None)
    organizations: list[Any] = []
    active = None
    if actor is not None and actor.is_authenticated and actor.memberships:
        from reproduce.accounts.models import Organization

        organizations = list(
            Organization.objects.filter(pk__in=actor.organization_ids).only("pk", "name")
        )
        active = next((o for o in organizations if o.pk == actor.active_organization_id), None)
    return {
        "actor": actor,
        "my_organizations": organizations,
        "active_organization": active,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
