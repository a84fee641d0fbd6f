"""Management pages of the network registry: sites, opening hours, closures, machines,
downtime, sharing and skills.

Objects are loaded with ``get_for_action_or_404`` (another organisation's object answers 404,
a missing permission 403); child objects named in a POST (a closure, a downtime block, a
skill) must belong to the parent of the URL, else 404. Writes go through ``network.services``.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.accounts.forms import ObjectIdForm, add_service_errors
from reproduce.accounts.models import Organization
from reproduce.core.actor import request_actor
from reproduce.core.permissions import access, get_for_action_or_404, has_perm, require
from reproduce.network import services
from reproduce.network.manage_forms import (
    BaseOpeningHoursFormSet,
    ClosureForm,
    MachineForm,
    OpeningHoursFormSet,
    SharingForm,
    SiteForm,
    SkillForm,
    UnavailabilityForm,
    opening_hours_initial,
    rows_from_post,
)
from reproduce.network.models import (
    DEFAULT_AUDIENCE,
    Closure,
    FieldGroup,
    Machine,
    MachineUnavailability,
    SharingPolicy,
    Site,
    Skill,
)

HOURS_PREFIX = "hours"


def active_organization(actor: Any, perm: str | None) -> Organization:
    """The organisation chosen in the switcher, if the actor holds ``perm`` in it (else 403)."""
    org_id = actor.active_organization_id
    if org_id is None or actor.role_in(org_id) is None:
        raise PermissionDenied(_("Join or register an organisation first."))
    if perm is not None:
        require(actor, perm, org_id)
    return Organization.objects.get(pk=org_id)


def _child_id(request: HttpRequest) -> int:
    form = ObjectIdForm(request.POST)
    if not form.is_valid():
        raise Http404
    return int(form.cleaned_data["object_id"])


def _site_context(site: Site, actor: Any, **extra: Any) -> dict[str, Any]:
    return {
        "site": site,
        "can_edit_machines": has_perm(actor, "machine.edit", site.organization_id),
        **extra,
    }


# ---------------------------------------------------------------- sites


@access("member", perm="site.edit")
@login_required
def site_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    active_organization(actor, "site.edit")
    form = SiteForm(request.POST or None, actor=actor, creating=True, instance=Site())
    if request.method == "POST" and form.is_valid():
        try:
            site = services.create_site(
                actor=actor,
                organization=form.cleaned_data["organization"],
                values=form.site_values(),
                processes=list(form.cleaned_data["processes"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The site “%(name)s” was created. Add its opening hours and machines.")
                % {"name": site.name},
            )
            return redirect("manage:site_edit", slug=site.slug)
    return render(request, "network/manage/site_form.html", {"form": form, "site": None})


@access("member", perm="site.edit", object="slug", model="network.Site")
@login_required
def site_edit(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request_actor(request)
    site = get_for_action_or_404(Site, actor, "site.edit", slug=slug)
    form = SiteForm(request.POST or None, actor=actor, creating=False, instance=copy.copy(site))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_site(
                actor=actor,
                site=site,
                values=form.site_values(),
                processes=list(form.cleaned_data["processes"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The site was saved."))
            return redirect("manage:site_edit", slug=site.slug)
    machines = list(site.machines.select_related("process").order_by("name"))
    return render(
        request,
        "network/manage/site_form.html",
        _site_context(site, actor, form=form, machines=machines, commune=site.commune),
    )


@access("member", perm="site.edit", object="slug", model="network.Site")
@login_required
def site_hours(request: HttpRequest, slug: str) -> HttpResponse:
    """The weekly opening hours: one row per period, several rows for split days."""
    actor = request_actor(request)
    site = get_for_action_or_404(Site, actor, "site.edit", slug=slug)
    formset: BaseOpeningHoursFormSet
    if request.method == "POST" and "add_row" in request.POST:
        # Without JavaScript: show what was typed plus one empty row, and save nothing yet.
        formset = OpeningHoursFormSet(
            initial=rows_from_post(request.POST, HOURS_PREFIX), prefix=HOURS_PREFIX
        )
    elif request.method == "POST":
        formset = OpeningHoursFormSet(request.POST, prefix=HOURS_PREFIX)
        if formset.is_valid():
            try:
                services.set_opening_hours(actor=actor, site=site, periods=formset.periods())
            except ValidationError as exc:
                formset.add_non_form_error(exc)
            else:
                messages.success(request, _("The opening hours were saved."))
                return redirect("manage:site_hours", slug=site.slug)
    else:
        formset = OpeningHoursFormSet(
            initial=opening_hours_initial(site.opening_hours.all()), prefix=HOURS_PREFIX
        )
    return render(
        request, "network/manage/site_hours.html", _site_context(site, actor, formset=formset)
    )


@access("member", perm="site.edit", object="slug", model="network.Site")
@login_required
def site_closures(request: HttpRequest, slug: str) -> HttpResponse:
    """Days the site is closed: add a period, remove one."""
    actor = request_actor(request)
    site = get_for_action_or_404(Site, actor, "site.edit", slug=slug)
    form = ClosureForm()
    if request.method == "POST" and request.POST.get("action") == "remove":
        closure = get_object_or_404(
            Closure.objects.owned_by(site.organization_id).filter(site=site), pk=_child_id(request)
        )
        services.remove_closure(actor=actor, closure=closure)
        messages.success(request, _("The closure was removed."))
        return redirect("manage:site_closures", slug=site.slug)
    if request.method == "POST":
        form = ClosureForm(request.POST)
        if form.is_valid():
            try:
                services.add_closure(actor=actor, site=site, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The closure was added."))
                return redirect("manage:site_closures", slug=site.slug)
    today = timezone.localdate()
    closures = list(site.closures.all())
    return render(
        request,
        "network/manage/site_closures.html",
        _site_context(
            site,
            actor,
            form=form,
            upcoming=[c for c in closures if c.end_date >= today],
            past=[c for c in closures if c.end_date < today][-10:],
        ),
    )


# ---------------------------------------------------------------- machines


def _save_machine(actor: Any, form: MachineForm, machine: Machine | None) -> Machine:
    data = form.cleaned_data
    materials, extra = list(data["materials"]), list(data["extra_processes"])
    if machine is None:
        return services.create_machine(
            actor=actor,
            site=data["site"],
            process=data["process"],
            values=form.machine_values(),
            materials=materials,
            extra_processes=extra,
        )
    return services.update_machine(
        actor=actor,
        machine=machine,
        site=data["site"],
        process=data["process"],
        values=form.machine_values(),
        materials=materials,
        extra_processes=extra,
    )


@access("member", perm="machine.edit")
@login_required
def machine_create(request: HttpRequest) -> HttpResponse:
    """Add a machine; ``?site=<slug>`` preselects one of the actor's sites."""
    actor = request_actor(request)
    active_organization(actor, "machine.edit")
    form = MachineForm(request.POST or None, actor=actor, instance=Machine())
    if request.method != "POST":
        chosen = form.fields["site"].queryset.filter(slug=request.GET.get("site", "")).first()  # type: ignore[attr-defined]
        if chosen is not None:
            form.initial["site"] = chosen.pk
    if request.method == "POST" and form.is_valid():
        try:
            machine = _save_machine(actor, form, None)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The machine “%(name)s” was added.") % {"name": machine.name}
            )
            return redirect("manage:site_edit", slug=machine.site.slug)
    return render(request, "network/manage/machine_form.html", {"form": form, "machine": None})


@access("member", perm="machine.edit", object="machine_id", model="network.Machine")
@login_required
def machine_edit(request: HttpRequest, machine_id: int) -> HttpResponse:
    actor = request_actor(request)
    machine = get_for_action_or_404(Machine, actor, "machine.edit", pk=machine_id)
    form = MachineForm(request.POST or None, actor=actor, instance=copy.copy(machine))
    if request.method == "POST" and form.is_valid():
        try:
            machine = _save_machine(actor, form, machine)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The machine was saved."))
            return redirect("manage:machine_edit", machine_id=machine.pk)
    return render(request, "network/manage/machine_form.html", {"form": form, "machine": machine})


@access("member", perm="machine.edit", object="machine_id", model="network.Machine")
@login_required
def machine_delete(request: HttpRequest, machine_id: int) -> HttpResponse:
    """Asks first (GET), deletes on POST."""
    actor = request_actor(request)
    machine = get_for_action_or_404(Machine, actor, "machine.edit", pk=machine_id)
    site = machine.site
    if request.method == "POST":
        name = machine.name
        services.delete_machine(actor=actor, machine=machine)
        messages.success(request, _("The machine “%(name)s” was deleted.") % {"name": name})
        return redirect("manage:site_edit", slug=site.slug)
    return render(request, "network/manage/machine_delete.html", {"machine": machine, "site": site})


@access(
    "member", perm="machine.report_unavailability", object="machine_id", model="network.Machine"
)
@login_required
def machine_unavailability(request: HttpRequest, machine_id: int) -> HttpResponse:
    """Periods a machine cannot be used; operators report breakdowns here too."""
    actor = request_actor(request)
    machine = get_for_action_or_404(Machine, actor, "machine.report_unavailability", pk=machine_id)
    org_id = machine.site.organization_id
    form = UnavailabilityForm()
    if request.method == "POST" and request.POST.get("action") == "remove":
        blocks = MachineUnavailability.objects.owned_by(org_id).filter(machine=machine)
        block = get_object_or_404(blocks, pk=_child_id(request))
        services.remove_unavailability(actor=actor, block=block)
        messages.success(request, _("The period was removed."))
        return redirect("manage:machine_unavailability", machine_id=machine.pk)
    if request.method == "POST":
        form = UnavailabilityForm(request.POST)
        if form.is_valid():
            try:
                services.add_unavailability(actor=actor, machine=machine, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The machine is marked unavailable for that period."))
                return redirect("manage:machine_unavailability", machine_id=machine.pk)
    blocks = list(machine.unavailabilities.filter(ends_at__gte=timezone.now()))
    return render(
        request,
        "network/manage/machine_unavailability.html",
        {
            "machine": machine,
            "site": machine.site,
            "form": form,
            "blocks": blocks,
            "can_edit": has_perm(actor, "machine.edit", org_id),
        },
    )


# ---------------------------------------------------------------- sharing


def _sharing_forms(request: HttpRequest, organization: Organization) -> list[SharingForm]:
    policies = {
        p.group: p
        for p in SharingPolicy.objects.owned_by(organization).prefetch_related("shared_with")
    }
    others = (
        Organization.objects.filter(is_active=True).exclude(pk=organization.pk).order_by("name")
    )
    forms = []
    for group in FieldGroup:
        policy = policies.get(group.value)
        initial = {
            "audience": policy.audience if policy else DEFAULT_AUDIENCE[group],
            "shared_with": [o.pk for o in policy.shared_with.all()] if policy else [],
        }
        forms.append(
            SharingForm(
                request.POST or None,
                group=group.value,
                organization=organization,
                others=others,
                initial=initial,
            )
        )
    return forms


@access("member", perm="sharing.edit")
@login_required
def sharing(request: HttpRequest) -> HttpResponse:
    """Per group of data (contacts, prices, capacity, machines): who may see it."""
    actor = request_actor(request)
    organization = active_organization(actor, "sharing.edit")
    forms = _sharing_forms(request, organization)
    if request.method == "POST" and all(form.is_valid() for form in forms):
        changed = [form for form in forms if form.has_changed()]
        try:
            with transaction.atomic():  # the page is one decision: all groups or none
                for form in changed:
                    services.set_sharing(
                        actor=actor,
                        organization=organization,
                        group=form.group.value,
                        audience=form.cleaned_data["audience"],
                        shared_with=list(form.cleaned_data["shared_with"]),
                    )
        except ValidationError as exc:
            add_service_errors(forms[0], exc)
        else:
            messages.success(
                request,
                _("Your sharing choices were saved.") if changed else _("Nothing was changed."),
            )
            return redirect("manage:sharing")
    return render(
        request, "network/manage/sharing.html", {"organization": organization, "forms": forms}
    )


# ---------------------------------------------------------------- skills


def _validate_skill(request: HttpRequest, organization: Organization) -> HttpResponse:
    skill = get_object_or_404(
        Skill.objects.owned_by(organization).select_related("user", "process"),
        pk=_child_id(request),
    )
    services.validate_skill(actor=request_actor(request), skill=skill)
    messages.success(
        request,
        _("The skill “%(process)s” of %(person)s is validated.")
        % {"process": skill.process, "person": skill.user},
    )
    return redirect("manage:skills")


@access("member")
@login_required
def skills(request: HttpRequest) -> HttpResponse:
    """Members declare their own skills; managers validate those of the team."""
    actor = request_actor(request)
    organization = active_organization(actor, None)
    form = SkillForm()
    if request.method == "POST" and request.POST.get("action") == "validate":
        return _validate_skill(request, organization)
    if request.method == "POST":
        form = SkillForm(request.POST)
        if form.is_valid():
            skill = services.declare_skill(
                actor=actor,
                organization=organization,
                user=request.user,
                process=form.cleaned_data["process"],
                level=form.cleaned_data["level"],
            )
            messages.success(
                request,
                _("Your skill “%(process)s” was recorded; a manager will validate it.")
                % {"process": skill.process},
            )
            return redirect("manage:skills")
    own = Skill.objects.owned_by(organization).select_related("process", "validated_by")
    can_validate = has_perm(actor, "skill.validate", organization.pk)
    team = (
        list(
            own.exclude(user=request.user)
            .select_related("user")
            .order_by(F("validated_at").asc(nulls_first=True), "user__email", "process__label_fr")
        )
        if can_validate
        else []
    )
    return render(
        request,
        "network/manage/skills.html",
        {
            "organization": organization,
            "form": form,
            "can_validate": can_validate,
            "team": team,
            "mine": list(own.filter(user=request.user).order_by("process__label_fr")),
        },
    )
