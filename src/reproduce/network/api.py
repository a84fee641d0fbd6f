"""REST API of the network registry: taxonomy, sites, machines, capability search."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from reproduce.accounts.models import Organization
from reproduce.api.auth import require_authenticated
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.permissions import access, get_for_action_or_404, require
from reproduce.network import services
from reproduce.network.forms import CapabilitySearchForm
from reproduce.network.models import FieldGroup, Machine, Material, Process, Site
from reproduce.network.schemas import (
    CapabilityFilters,
    MachineIn,
    MachineOut,
    MachinePatch,
    MatchOut,
    MaterialOut,
    ProcessOut,
    SiteIn,
    SiteOut,
    SitePatch,
)
from reproduce.network.selectors import find_capabilities, visible_groups

router = Router(tags=["network"])


def _term(term: Any) -> dict[str, Any]:
    return {
        "code": term.code,
        "label": term.label,
        "label_fr": term.label_fr,
        "label_nl": term.label_nl,
        "label_en": term.label_en,
        "wikipedia_url": term.wikipedia_url,
        "synonyms": term.synonyms or [],
    }


def site_out(site: Site, groups: set[str]) -> dict[str, Any]:
    contacts = FieldGroup.CONTACTS in groups
    return {
        "id": site.pk,
        "slug": site.slug,
        "name": site.name,
        "organization": {
            "slug": site.organization.slug,
            "name": site.organization.name,
            "kind": site.organization.kind,
        },
        "street": site.street,
        "postcode": site.postcode,
        "city": site.city,
        "commune": (
            {"nis_code": site.commune.nis_code, "name": site.commune.name} if site.commune else None
        ),
        "latitude": site.latitude,
        "longitude": site.longitude,
        "access_type": site.access_type,
        "wheelchair_access": site.wheelchair_access,
        "languages": site.languages or [],
        "services": [p.code for p in site.processes.all()],
        "opening_hours": [
            {
                "weekday": h.weekday,
                "opens": h.opens.strftime("%H:%M"),
                "closes": h.closes.strftime("%H:%M"),
            }
            for h in site.opening_hours.all()
        ],
        "email": site.email if contacts else None,
        "phone": site.phone if contacts else None,
        "is_demo": site.is_demo,
    }


def machine_out(machine: Machine, groups: set[str]) -> dict[str, Any]:
    return {
        "id": machine.pk,
        "name": machine.name,
        "site": machine.site.slug,
        "organization": machine.site.organization.slug,
        "process": machine.process.code,
        "extra_processes": [p.code for p in machine.extra_processes.all()],
        "materials": [m.code for m in machine.materials.all()],
        "make": machine.make,
        "model": machine.model,
        "year": machine.year,
        "quantity": machine.quantity,
        "condition": machine.condition,
        "envelope_x_mm": machine.envelope_x_mm,
        "envelope_y_mm": machine.envelope_y_mm,
        "envelope_z_mm": machine.envelope_z_mm,
        "max_thickness_mm": machine.max_thickness_mm,
        "laser_power_w": machine.laser_power_w,
        "spindle_power_w": machine.spindle_power_w,
        "axes": machine.axes,
        "tolerance_class": machine.tolerance_class,
        "requires_trained_operator": machine.requires_trained_operator,
        "hourly_rate": machine.hourly_rate if FieldGroup.PRICES in groups else None,
        "is_demo": machine.is_demo,
    }


SITE_PREFETCH = ("processes", "opening_hours")
MACHINE_PREFETCH = ("materials", "extra_processes")


@router.get("/processes", response=Page[ProcessOut], summary="Process taxonomy")
@access("public")
def list_processes(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    items, count = page_of(Process.objects.select_related("parent").order_by("code"), page)
    return {
        "items": [{**_term(p), "parent": p.parent.code if p.parent else None} for p in items],
        "count": count,
    }


@router.get("/materials", response=Page[MaterialOut], summary="Material taxonomy")
@access("public")
def list_materials(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    items, count = page_of(Material.objects.order_by("code"), page)
    return {"items": [{**_term(m), "category": m.category} for m in items], "count": count}


@router.get("/sites", response=Page[SiteOut], summary="Sites you may see")
@access("public")
def list_sites(
    request: HttpRequest, page: Query[PageParams], commune: str = "", organization: str = ""
) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    sites = (
        Site.objects.visible_to(actor)
        .select_related("organization", "commune")
        .prefetch_related(*SITE_PREFETCH)
        .order_by("name")
    )
    if commune:
        sites = sites.filter(commune__nis_code=commune)
    if organization:
        sites = sites.filter(organization__slug=organization)
    items, count = page_of(sites, page)
    groups = visible_groups(actor, {s.organization_id for s in items})
    return {"items": [site_out(s, groups[s.organization_id]) for s in items], "count": count}


def _visible_site(request: HttpRequest, slug: str) -> Site:
    actor = request.actor  # type: ignore[attr-defined]
    return get_object_or_404(
        Site.objects.visible_to(actor)
        .select_related("organization", "commune")
        .prefetch_related(*SITE_PREFETCH),
        slug=slug,
    )


@router.get("/sites/{slug}", response=SiteOut, summary="One site")
@access("public", object="slug", model="network.Site")
def get_site(request: HttpRequest, slug: str) -> dict[str, Any]:
    site = _visible_site(request, slug)
    groups = visible_groups(request.actor, {site.organization_id})  # type: ignore[attr-defined]
    return site_out(site, groups[site.organization_id])


@router.get("/machines", response=Page[MachineOut], summary="Machines you may see")
@access("public")
def list_machines(
    request: HttpRequest,
    page: Query[PageParams],
    process: str = "",
    site: str = "",
    material: str = "",
) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    machines = (
        Machine.objects.visible_to(actor)
        .select_related("site__organization", "process")
        .prefetch_related(*MACHINE_PREFETCH)
        .order_by("site__name", "name", "pk")
    )
    if process:
        machines = machines.filter(process__code=process)
    if site:
        machines = machines.filter(site__slug=site)
    if material:
        machines = machines.filter(materials__code=material).distinct()
    items, count = page_of(machines, page)
    groups = visible_groups(actor, {m.site.organization_id for m in items})
    return {
        "items": [machine_out(m, groups[m.site.organization_id]) for m in items],
        "count": count,
    }


@router.get("/machines/{machine_id}", response=MachineOut, summary="One machine")
@access("public", object="machine_id", model="network.Machine")
def get_machine(request: HttpRequest, machine_id: int) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    machine = get_object_or_404(
        Machine.objects.visible_to(actor)
        .select_related("site__organization", "process")
        .prefetch_related(*MACHINE_PREFETCH),
        pk=machine_id,
    )
    return machine_out(
        machine, visible_groups(actor, {machine.site.organization_id})[machine.site.organization_id]
    )


@router.get("/search/capabilities", response=Page[MatchOut], summary="Who can make it?")
@access("public")
def search_capabilities(request: HttpRequest, filters: Query[CapabilityFilters]) -> dict[str, Any]:
    """Ranked sites able to do what is asked, each with the reasons it matches."""
    actor = request.actor  # type: ignore[attr-defined]
    data = filters.model_dump()
    limit = data.pop("limit")
    form = CapabilitySearchForm({k: ("" if v is None else v) for k, v in data.items()})
    if not form.is_valid():
        raise ValidationError(dict(form.errors.as_data().items()))
    query = form.to_query()
    query.limit = limit
    matches = find_capabilities(actor, query)
    sites = {m.site.pk: m.site for m in matches}
    prefetched = (
        Site.objects.visible_to(actor)
        .filter(pk__in=list(sites))
        .prefetch_related(*SITE_PREFETCH)
        .select_related("organization", "commune")
    )
    full = {s.pk: s for s in prefetched}
    items = []
    for m in matches:
        items.append(
            {
                "site": site_out(full[m.site.pk], m.groups),
                "score": round(m.score, 3),
                "distance_km": round(m.distance_km, 2) if m.distance_km is not None else None,
                "free_days": m.free_days,
                "reasons": m.reasons,
                "machines": [machine_out(mc, m.groups) for mc in m.machines],
            }
        )
    return {"items": items, "count": len(items)}


def _terms(model: Any, codes: list[str], field: str) -> list[Any]:
    found = list(model.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {t.code for t in found})
    if missing:
        raise ValidationError(
            {field: _("Unknown codes: %(codes)s") % {"codes": ", ".join(missing)}}
        )
    return found


def _own_organization(request: HttpRequest, slug: str) -> Organization:
    actor = require_authenticated(request)
    org = Organization.objects.filter(slug=slug, pk__in=list(actor.organization_ids)).first()
    if org is None:
        # Naming an organisation one is not a member of is a forged reference: it does not exist.
        raise ValidationError({"organization": _("You are not a member of this organisation.")})
    return org


@router.post("/sites", response={201: SiteOut}, summary="Register a site")
@access("member", perm="site.edit")
@idempotent
def create_site(request: HttpRequest, payload: SiteIn) -> tuple[int, dict[str, Any]]:
    actor = require_authenticated(request)
    org = _own_organization(request, payload.organization)
    data = payload.model_dump(exclude={"organization", "services"})
    services_terms = _terms(Process, payload.services, "services")
    site = services.create_site(
        actor=actor, organization=org, values=data, processes=services_terms
    )
    site = _visible_site(request, site.slug)
    return 201, site_out(site, set(FieldGroup.values))


@router.patch("/sites/{slug}", response=SiteOut, summary="Change a site")
@access("member", perm="site.edit", object="slug", model="network.Site")
def update_site(request: HttpRequest, slug: str, payload: SitePatch) -> dict[str, Any]:
    actor = require_authenticated(request)
    site = get_for_action_or_404(Site, actor, "site.edit", slug=slug)
    data = payload.model_dump(exclude_unset=True, exclude={"services"})
    terms = _terms(Process, payload.services, "services") if payload.services is not None else None
    services.update_site(actor=actor, site=site, values=data, processes=terms)
    return site_out(_visible_site(request, slug), set(FieldGroup.values))


def _own_site(actor: Any, slug: str) -> Site:
    site = Site.objects.owned_by(list(actor.organization_ids)).filter(slug=slug).first()
    if site is None:
        raise ValidationError({"site": _("This site is not one of your organisation's sites.")})
    return site


@router.post("/machines", response={201: MachineOut}, summary="Add a machine")
@access("member", perm="machine.edit")
@idempotent
def create_machine(request: HttpRequest, payload: MachineIn) -> tuple[int, dict[str, Any]]:
    actor = require_authenticated(request)
    site = _own_site(actor, payload.site)
    require(actor, "machine.edit", site.organization_id)
    process = _terms(Process, [payload.process], "process")[0]
    data = payload.model_dump(exclude={"site", "process", "materials", "extra_processes"})
    machine = services.create_machine(
        actor=actor,
        site=site,
        process=process,
        values=data,
        materials=_terms(Material, payload.materials, "materials"),
        extra_processes=_terms(Process, payload.extra_processes, "extra_processes"),
    )
    return 201, machine_out(_reload_machine(machine.pk), set(FieldGroup.values))


def _reload_machine(pk: int) -> Machine:
    return (
        Machine.objects.unscoped("reload after own write")
        .select_related("site__organization", "process")
        .prefetch_related(*MACHINE_PREFETCH)
        .get(pk=pk)
    )


@router.patch("/machines/{machine_id}", response=MachineOut, summary="Change a machine")
@access("member", perm="machine.edit", object="machine_id", model="network.Machine")
def update_machine(request: HttpRequest, machine_id: int, payload: MachinePatch) -> dict[str, Any]:
    actor = require_authenticated(request)
    machine = get_for_action_or_404(Machine, actor, "machine.edit", pk=machine_id)
    data = payload.model_dump(
        exclude_unset=True, exclude={"site", "process", "materials", "extra_processes"}
    )
    services.update_machine(
        actor=actor,
        machine=machine,
        values=data,
        site=_own_site(actor, payload.site) if payload.site else None,
        process=_terms(Process, [payload.process], "process")[0] if payload.process else None,
        materials=_terms(Material, payload.materials, "materials")
        if payload.materials is not None
        else None,
        extra_processes=(
            _terms(Process, payload.extra_processes, "extra_processes")
            if payload.extra_processes is not None
            else None
        ),
    )
    return machine_out(_reload_machine(machine.pk), set(FieldGroup.values))


@router.delete("/machines/{machine_id}", response={204: None}, summary="Remove a machine")
@access("member", perm="machine.edit", object="machine_id", model="network.Machine")
def delete_machine(request: HttpRequest, machine_id: int) -> Status[None]:
    actor = require_authenticated(request)
    machine = get_for_action_or_404(Machine, actor, "machine.edit", pk=machine_id)
    services.delete_machine(actor=actor, machine=machine)
    return Status(204, None)
