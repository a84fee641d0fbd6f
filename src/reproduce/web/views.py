from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from reproduce.accounts.models import Invitation, Organization
from reproduce.core.permissions import ORG_PERMISSIONS, OrgRole, access
from reproduce.designs.selectors import organization_designs
from reproduce.network.models import Machine, Site
from reproduce.network.selectors import organization_sites


@access("public")
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@access("public")
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    context = {
        "site_count": Site.objects.visible_to(actor).count(),
        "machine_count": Machine.objects.visible_to(actor).count(),
        "organization_count": Organization.objects.filter(is_active=True).count(),
        "demo_loaded": Site.objects.visible_to(actor).filter(is_demo=True).exists(),
    }
    return render(request, "web/home.html", context)


@access("authenticated")
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """My workspace: the active organisation's sites and invitations, or how to join one."""
    actor = request.actor  # type: ignore[attr-defined]
    org_id = actor.active_organization_id
    context: dict[str, Any] = {
        "organization": None,
        "sites": [],
        "pending_invitations": [],
        "perms": frozenset(),
        "role": None,
    }
    if org_id:
        role = actor.role_in(org_id)
        perms = ORG_PERMISSIONS[role]
        context.update(
            organization=Organization.objects.get(pk=org_id),
            role=role,
            perms=perms,
            role_label=OrgRole(role).label,
            sites=list(organization_sites(actor, org_id).order_by("name")),
            designs=list(organization_designs(org_id)),
        )
        if "organization.invite" in perms:
            context["pending_invitations"] = list(
                Invitation.objects.owned_by(org_id)
                .filter(status=Invitation.Status.PENDING)
                .order_by("-created_at")
            )
    context["my_invitations"] = list(
        Invitation.objects.unscoped("invitations addressed to the signed-in person")
        .filter(
            email__iexact=getattr(request.user, "email", ""),
            status=Invitation.Status.PENDING,
            expires_at__gt=timezone.now(),
            organization__is_active=True,
        )
        .exclude(organization_id__in=list(actor.organization_ids))
        .select_related("organization")
    )
    return render(request, "web/dashboard.html", context)
