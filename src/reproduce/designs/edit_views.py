"""Editing pages of the designs library: designs, drafts, files, BOM, routing, SOP steps,
QC criteria, the DFM checklist, release, forks, build reports and the Open Know-How import.

Objects are loaded with ``get_for_action_or_404``: another organisation's object (even one
shared with the actor) answers 404, a missing permission 403. Every write goes through
``designs.services``, which checks the permission again, refuses changes to a released
version and audits; a refusal is shown on the form, next to the field it concerns, with
everything the person typed kept.

Forks and build reports are writes by a member of *another* organisation on a design they can
see: their pages name the design in the query string (``?design=<slug>``), not in the path, so
the route's object is the actor's own organisation (level ``member``) and the design is read
with ``visible_to`` like on the reading pages.

Creating forms carry a one-time token recorded in ``IdempotencyRecord``: a double click or a
re-sent POST leads to the result of the first submission instead of creating twice.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reproduce.accounts.forms import add_service_errors
from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor, request_actor
from reproduce.core.models import IdempotencyRecord
from reproduce.core.permissions import access, get_for_action_or_404, get_visible_or_404, has_perm
from reproduce.designs import selectors, services
from reproduce.designs.dfm import QUESTION_CODES
from reproduce.designs.forms import (
    BomLineAddForm,
    BomLineEditForm,
    BuildReportForm,
    ConfirmForm,
    CriterionForm,
    DesignForm,
    DfmForm,
    DraftStartForm,
    FileAddForm,
    FileEditForm,
    ForkForm,
    ItemSource,
    MoveForm,
    OkhImportForm,
    OperationForm,
    ReleaseForm,
    StepForm,
    VersionForm,
    released_designs,
)
from reproduce.designs.models import (
    BomLine,
    Design,
    DesignFile,
    DesignShare,
    DesignVersion,
    Operation,
    QcCriterion,
    SopStep,
    VersionState,
    Visibility,
)
from reproduce.files.errors import FileRejected
from reproduce.network.manage_forms import organizations_where

ONCE_KEY_PREFIX = "page-form:"
OKH_REPORT_SESSION_KEY = "designs_okh_import_report"
MAX_LISTED_ERRORS = 20


# Which form field a refusal of the services concerns, by its code.
DESIGN_ERRORS = {"license_not_open": "visibility", "license_reciprocal": "license"}
FILE_ERRORS = {"duplicate_file": "upload", "invalid_role": "role"}
QC_ERRORS = {
    "tolerance_missing": "tolerance_minus",
    "unit_missing": "unit",
    "acceptance_missing": "acceptance",
    "invalid_operation": "operation",
}
STEP_ERRORS = {"empty_step": "text", "invalid_image": "image"}


def _data(request: HttpRequest) -> Any:
    """The POSTed data, or None for a GET: an empty POST is still a (failing) submission."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _require_some_organization(actor: Actor, perm: str) -> None:
    """Pages without an object act for one of the actor's organisations holding ``perm``."""
    if not organizations_where(actor, perm):
        raise PermissionDenied(_("You do not have the permission to do this."))


def version_url(version: DesignVersion, anchor: str = "") -> str:
    return reverse("designs:version", args=[version.pk]) + (f"#{anchor}" if anchor else "")


def _after_add(request: HttpRequest, version: DesignVersion, anchor: str) -> str:
    """“Add and add another” comes back to the same form; the main button goes to the version."""
    if request.POST.get("another"):
        return request.path
    return version_url(version, anchor)


# ---------------------------------------------------------------- refusals and locked versions


def show_refusal(
    form: Any, exc: ValidationError, fields: dict[str, str] | None = None, file_field: str = ""
) -> None:
    """Show a refusal of the services on the form, next to the field it concerns."""
    if isinstance(exc, FileRejected) and file_field in form.fields:
        form.add_error(file_field, exc)
        return
    target = (fields or {}).get(str(getattr(exc, "code", "") or ""))
    if target and target in form.fields and not hasattr(exc, "error_dict"):
        form.add_error(target, exc)
        details = list(getattr(exc, "errors", None) or [])  # an OKH manifest's schema errors
        if len(details) > 3:  # the message itself quotes the first three
            for detail in details[:MAX_LISTED_ERRORS]:
                form.add_error(target, str(detail))
    else:
        add_service_errors(form, exc)


def lock_message(version: DesignVersion) -> str | None:
    """Why the version cannot change (in the services' words), or None for a draft."""
    if version.is_editable:
        return None
    try:
        with transaction.atomic():
            services.editable_version(version)
    except services.DesignError as exc:
        return str(exc.messages[0])
    return None


def _locked(request: HttpRequest, version: DesignVersion) -> HttpResponse | None:
    """For a GET on a released or obsolete version: the explanation instead of the form."""
    if request.method != "GET":
        return None  # a POST reaches the service, whose refusal is shown on the form
    message = lock_message(version)
    if message is None:
        return None
    design = version.design
    return render(
        request,
        "designs/edit/locked.html",
        {
            "version": version,
            "design": design,
            "message": message,
            "draft": design.versions.filter(state=VersionState.DRAFT).first(),
            "can_start_draft": has_perm(
                request_actor(request), "design.edit", design.organization_id
            ),
        },
    )


# ---------------------------------------------------------------- once per form token


def _replay(request: HttpRequest, record: IdempotencyRecord) -> HttpResponse:
    location = bytes(record.response_body or b"").decode() or request.path
    messages.info(request, _("This form had already been sent: here is the result."))
    return redirect(location)


def run_once(request: HttpRequest, token: str, action: Callable[[], str]) -> HttpResponse:
    """Run a creating ``action`` (which returns where to go next) once per form token.

    The record is inserted in the same transaction as the work: a concurrent second
    submission waits for the first and then finds its result; a refused first attempt
    (``ValidationError``) leaves no record, so the corrected form can be sent again.
    """
    if not token:
        with transaction.atomic():
            return redirect(action())
    key = ONCE_KEY_PREFIX + token
    user_id = request.user.pk
    assert user_id is not None  # the creating pages are behind login_required
    previous = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if previous is not None:
        return _replay(request, previous)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user_id=user_id,
                key=key,
                method="POST",
                path=request.path[:500],
                request_fingerprint=token,
            )
            location = action()
            record.status_code = 302
            record.response_body = location.encode()
            record.content_type = "text/html"
            record.save(update_fields=["status_code", "response_body", "content_type"])
    except IntegrityError:
        previous = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if previous is None:
            raise
        return _replay(request, previous)
    return redirect(location)


def _submit(
    form: Any,
    action: Callable[[], str],
    fields: dict[str, str] | None = None,
    file_field: str = "",
) -> HttpResponse | None:
    """Validate, run ``action`` (returns the next URL); None when the form must be shown again."""
    if not form.is_valid():
        return None
    try:
        with transaction.atomic():
            location = action()
    except ValidationError as exc:
        show_refusal(form, exc, fields, file_field)
        return None
    return redirect(location)


def _submit_once(
    request: HttpRequest,
    form: Any,
    action: Callable[[], str],
    fields: dict[str, str] | None = None,
    file_field: str = "",
) -> HttpResponse | None:
    """Like ``_submit`` for creating forms: a second submission of the same form is replayed."""
    if not form.is_valid():
        return None
    try:
        return run_once(request, form.cleaned_data.get("form_token", ""), action)
    except ValidationError as exc:
        show_refusal(form, exc, fields, file_field)
        return None


def number(value: Decimal | None) -> Decimal | None:
    """A quantity without trailing zeros ("2", "0.25"), never in exponent form ("1E+1")."""
    if value is None:
        return None
    if value == value.to_integral():
        return value.quantize(Decimal(1))
    return value.normalize()


def _context(version: DesignVersion, **extra: Any) -> dict[str, Any]:
    return {"version": version, "design": version.design, **extra}


def _remove_page(
    request: HttpRequest,
    version: DesignVersion,
    *,
    question: str,
    name: str,
    remove: Callable[[], None],
    anchor: str,
    cancel_url: str,
) -> HttpResponse:
    """Asks first (GET); removes on a confirmed POST. An empty POST changes nothing."""
    locked = _locked(request, version)
    if locked is not None:
        return locked
    form = ConfirmForm(_data(request), initial={"confirm": True})

    def action() -> str:
        remove()
        messages.success(request, _("“%(name)s” was removed.") % {"name": name})
        return version_url(version, anchor)

    if request.method == "POST":
        response = _submit(form, action)
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/confirm_remove.html",
        _context(version, form=form, question=question, name=name, cancel_url=cancel_url),
    )


# ---------------------------------------------------------------- designs


def _other_organizations(exclude_id: int | None) -> QuerySet[Organization]:
    others = Organization.objects.filter(is_active=True).order_by("name")
    return others.exclude(pk=exclude_id) if exclude_id is not None else others


def _named_ids(design: Design) -> list[int]:
    shares = DesignShare.objects.owned_by(design.organization_id).filter(design=design, reason="")
    return sorted(shares.values_list("organization_id", flat=True))


@access("member", perm="design.edit")
@login_required
def create(request: HttpRequest) -> HttpResponse:
    """A new design with its first draft, owned by one of the actor's organisations."""
    actor = request_actor(request)
    _require_some_organization(actor, "design.edit")
    own = organizations_where(actor, "design.edit")
    form = DesignForm(
        _data(request),
        actor=actor,
        creating=True,
        others=_other_organizations(own[0] if len(own) == 1 else None),
        instance=Design(),
    )

    def action() -> str:
        data = form.cleaned_data
        design = services.create_design(
            actor=actor, organization=data["organization"], values=form.design_values()
        )
        if data["visibility"] != Visibility.PRIVATE or data["shared_with"]:
            services.set_visibility(
                actor=actor,
                design=design,
                visibility=data["visibility"],
                organizations=list(data["shared_with"]),
            )
        messages.success(
            request,
            _(
                "The design “%(name)s” was created with a first draft: "
                "add its files, BOM and routing."
            )
            % {"name": design.name},
        )
        return version_url(design.versions.get())

    if request.method == "POST":
        response = _submit_once(request, form, action, DESIGN_ERRORS)
        if response is not None:
            return response
    return render(request, "designs/edit/design_form.html", {"form": form, "design": None})


@access("member", perm="design.edit", object="slug", model="designs.Design")
@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Name, kind, texts, licence, tags, repository, and who sees the design."""
    actor = request_actor(request)
    design = get_for_action_or_404(Design, actor, "design.edit", slug=slug)
    named = _named_ids(design)
    form = DesignForm(
        _data(request),
        actor=actor,
        creating=False,
        others=_other_organizations(design.organization_id),
        instance=copy.copy(design),
        initial={"visibility": design.visibility, "shared_with": named},
    )

    def action() -> str:
        data = form.cleaned_data
        services.update_design(actor=actor, design=design, values=form.design_values())
        chosen = sorted(o.pk for o in data["shared_with"])
        if data["visibility"] != design.visibility or chosen != named:
            services.set_visibility(
                actor=actor,
                design=design,
                visibility=data["visibility"],
                organizations=list(data["shared_with"]),
            )
        messages.success(request, _("The design was saved."))
        return reverse("designs:detail", args=[design.slug])

    if request.method == "POST":
        response = _submit(form, action, DESIGN_ERRORS)
        if response is not None:
            return response
    return render(request, "designs/edit/design_form.html", {"form": form, "design": design})


@access("member", perm="design.edit", object="slug", model="designs.Design")
@login_required
def draft_start(request: HttpRequest, slug: str) -> HttpResponse:
    """A new draft copied from the latest version, with a change note."""
    actor = request_actor(request)
    design = get_for_action_or_404(Design, actor, "design.edit", slug=slug)
    latest = services.latest_version(design)
    suggested = services.next_number(latest.number) if latest else "0.1"
    form = DraftStartForm(_data(request), design=design, initial={"number": suggested})

    def action() -> str:
        draft = services.start_draft(
            actor=actor,
            design=design,
            change_note=form.cleaned_data["change_note"],
            number=form.cleaned_data["number"],
        )
        messages.success(
            request,
            _("Draft %(number)s was started as a copy of version %(previous)s.")
            % {"number": draft.number, "previous": latest.number if latest else "—"},
        )
        return version_url(draft)

    if request.method == "POST":
        response = _submit_once(request, form, action, {"version_number": "number"})
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/draft_start.html",
        {
            "design": design,
            "form": form,
            "latest": latest,
            "draft": design.versions.filter(state=VersionState.DRAFT).first(),
        },
    )


# ---------------------------------------------------------------- forks and build reports


def _chosen_design(request: HttpRequest) -> Design | None:
    """The design named by ``?design=<slug>`` if the actor may see it (404 otherwise)."""
    slug = request.GET.get("design", "").strip()
    if not slug:
        return None
    return get_visible_or_404(Design, request_actor(request), slug=slug)


def _published_versions(actor: Actor, design: Design) -> QuerySet[DesignVersion]:
    return (
        DesignVersion.objects.visible_to(actor)
        .filter(design=design)
        .exclude(state=VersionState.DRAFT)
        .order_by("-released_at", "-pk")
    )


def _choose_design(request: HttpRequest, template: str, title: str) -> HttpResponse:
    """Without ``?design=``: a short GET form to pick a design with a released version."""
    return render(
        request,
        template,
        {
            "design": None,
            "form": None,
            "title": title,
            "designs": released_designs(request_actor(request)),
        },
    )


@access("member", perm="design.edit")
@login_required
def fork(request: HttpRequest) -> HttpResponse:
    """A derivative of a visible released version, owned by one of the actor's organisations."""
    actor = request_actor(request)
    _require_some_organization(actor, "design.edit")
    title = _("Make a derivative")
    design = _chosen_design(request)
    if design is None:
        return _choose_design(request, "designs/edit/fork.html", title)
    versions = _published_versions(actor, design)
    closed = not design.is_open and design.organization_id not in actor.organization_ids
    form = ForkForm(_data(request), actor=actor, design=design, versions=versions)

    def action() -> str:
        data = form.cleaned_data
        derivative = services.fork_design(
            actor=actor,
            version=data["version"],
            organization=data["organization"],
            name=data["name"],
            license=data["license"],
        )
        messages.success(
            request,
            _("“%(name)s” was created as a derivative: its draft is yours to change.")
            % {"name": derivative.name},
        )
        return version_url(derivative.versions.get())

    if request.method == "POST" and versions.exists() and not closed:
        response = _submit_once(request, form, action, {**DESIGN_ERRORS, "fork_draft": "version"})
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/fork.html",
        {
            "design": design,
            "form": form,
            "title": title,
            "has_versions": versions.exists(),
            "closed": closed,
        },
    )


@access("member", perm="build.report")
@login_required
def build_add(request: HttpRequest) -> HttpResponse:
    """Record having built a visible released version (site, date, deviations, photos)."""
    actor = request_actor(request)
    _require_some_organization(actor, "build.report")
    title = _("Report a build")
    design = _chosen_design(request)
    if design is None:
        return _choose_design(request, "designs/edit/build_form.html", title)
    versions = _published_versions(actor, design)
    form = BuildReportForm(_data(request), _files(request), actor=actor, versions=versions)

    def action() -> str:
        data = form.cleaned_data
        services.record_build(
            actor=actor,
            organization=data["organization"],
            version=data["version"],
            built_on=data["built_on"],
            site=data["site"],
            quantity=data["quantity"],
            deviations=data["deviations"],
            notes=data["notes"],
            photos=[(photo, photo.name) for photo in data["photos"]],
        )
        messages.success(request, _("Thank you: your build report was recorded."))
        return reverse("designs:detail", args=[design.slug]) + "#reproductions"

    if request.method == "POST" and versions.exists():
        fields = {"foreign_site": "site", "future_date": "built_on", "build_of_draft": "version"}
        response = _submit_once(request, form, action, fields, file_field="photos")
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/build_form.html",
        {"design": design, "form": form, "title": title, "has_versions": versions.exists()},
    )


# ---------------------------------------------------------------- Open Know-How import


def _lines(value: Any) -> list[str]:
    """A part of the import report as lines of text, whatever its shape."""
    if not value:
        return []
    if isinstance(value, dict):
        return [f"{key}: {_text(val)}" for key, val in value.items()]
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [_text(v) for v in value]
    return [str(value)]


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " → ".join(str(v) for v in value)
    return str(value)


@access("member", perm="design.edit")
@login_required
def import_okh(request: HttpRequest) -> HttpResponse:
    """Upload an okh.toml / okh.yml manifest; show what was mapped and what was not."""
    actor = request_actor(request)
    _require_some_organization(actor, "design.edit")
    form = OkhImportForm(_data(request), _files(request), actor=actor)

    def action() -> str:
        from reproduce.designs import okh

        upload = form.cleaned_data["manifest"]
        result = okh.import_okh(
            actor=actor,
            organization=form.cleaned_data["organization"],
            filename=upload.name,
            data=upload.read(),
        )
        request.session[OKH_REPORT_SESSION_KEY] = {
            "version": result.version.pk,
            "design": result.design.name,
            "mapped": _lines(result.mapped),
            "unmapped": _lines(result.unmapped),
            "warnings": _lines(result.warnings),
        }
        messages.success(
            request, _("“%(name)s” was imported as a draft.") % {"name": result.design.name}
        )
        return reverse("designs:import_okh") + f"?report={result.version.pk}"

    if request.method == "POST":
        fields = {"okh_invalid": "manifest", "okh_unreadable": "manifest"}
        response = _submit_once(request, form, action, fields)
        if response is not None:
            return response
    report = request.session.get(OKH_REPORT_SESSION_KEY) or {}
    if str(report.get("version")) != request.GET.get("report"):
        report = {}
    return render(request, "designs/edit/import_okh.html", {"form": form, "report": report})


# ---------------------------------------------------------------- versions


def _version(request: HttpRequest, version_id: int, perm: str = "design.edit") -> DesignVersion:
    return get_for_action_or_404(DesignVersion, request_actor(request), perm, pk=version_id)


@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@login_required
def version_edit(request: HttpRequest, version_id: int) -> HttpResponse:
    """The draft's number, change note, function and requirements (Annex B.1)."""
    actor = request_actor(request)
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    form = VersionForm(_data(request), instance=copy.copy(version))

    def action() -> str:
        services.update_version(actor=actor, version=version, values=form.version_values())
        messages.success(request, _("Version %(number)s was saved.") % {"number": version.number})
        return version_url(version)

    if request.method == "POST":
        response = _submit(form, action, {"version_number": "number"})
        if response is not None:
            return response
    return render(request, "designs/edit/version_form.html", _context(version, form=form))


@access("member", perm="design.release", object="version_id", model="designs.DesignVersion")
@login_required
def release(request: HttpRequest, version_id: int) -> HttpResponse:
    """Confirm the release: completeness, number, change note; the version then is frozen."""
    actor = request_actor(request)
    version = _version(request, version_id, "design.release")
    if (locked := _locked(request, version)) is not None:
        return locked
    form = ReleaseForm(
        _data(request),
        version=version,
        initial={"number": version.number, "change_note": version.change_note},
    )

    def action() -> str:
        note = form.cleaned_data["change_note"]
        if note != version.change_note:
            services.update_version(actor=actor, version=version, values={"change_note": note})
        services.release_version(actor=actor, version=version, number=form.cleaned_data["number"])
        messages.success(
            request,
            _("Version %(number)s is released: it cannot change any more.")
            % {"number": version.number},
        )
        return version_url(version)

    if request.method == "POST":
        fields = {"version_number": "number", "change_note_missing": "change_note"}
        response = _submit(form, action, fields)
        if response is not None:
            return response
    _sections, answered, total = selectors.dfm_checklist(version)
    return render(
        request,
        "designs/edit/release.html",
        _context(
            version,
            form=form,
            completeness=selectors.completeness(version),
            dfm_answered=answered,
            dfm_total=total,
        ),
    )


@access("member", perm="design.release", object="version_id", model="designs.DesignVersion")
@login_required
def obsolete(request: HttpRequest, version_id: int) -> HttpResponse:
    """Retire a released version: it stays readable, marked obsolete."""
    actor = request_actor(request)
    version = _version(request, version_id, "design.release")
    form = ConfirmForm(_data(request), initial={"confirm": True})

    def action() -> str:
        services.make_obsolete(actor=actor, version=version)
        messages.success(
            request, _("Version %(number)s is now obsolete.") % {"number": version.number}
        )
        return version_url(version)

    if request.method == "POST" and version.state == VersionState.RELEASED:
        response = _submit(form, action)
        if response is not None:
            return response
    return render(request, "designs/edit/obsolete.html", _context(version, form=form))


# ---------------------------------------------------------------- files


@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@login_required
def file_add(request: HttpRequest, version_id: int) -> HttpResponse:
    """Upload a file: its content is checked (type, size, archives, scripts) before storing."""
    actor = request_actor(request)
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    form = FileAddForm(_data(request), _files(request))

    def action() -> str:
        data = form.cleaned_data
        added = services.add_file(
            actor=actor,
            version=version,
            upload=data["upload"],
            filename=data["upload"].name,
            role=data["role"],
            description=data["description"],
            is_internal=data["is_internal"],
        )
        messages.success(request, _("“%(name)s” was added.") % {"name": added.filename})
        return _after_add(request, version, "files")

    if request.method == "POST":
        response = _submit_once(request, form, action, FILE_ERRORS, file_field="upload")
        if response is not None:
            return response
    files = version.files.select_related("blob")
    return render(request, "designs/edit/file_add.html", _context(version, form=form, files=files))


@access("member", perm="design.edit", object="file_id", model="designs.DesignFile")
@login_required
def file_edit(request: HttpRequest, file_id: int) -> HttpResponse:
    actor = request_actor(request)
    design_file = get_for_action_or_404(DesignFile, actor, "design.edit", pk=file_id)
    version = design_file.version
    if (locked := _locked(request, version)) is not None:
        return locked
    form = FileEditForm(_data(request), instance=copy.copy(design_file))

    def action() -> str:
        services.update_file(actor=actor, design_file=design_file, values=form.cleaned_data)
        messages.success(request, _("“%(name)s” was saved.") % {"name": design_file.filename})
        return version_url(version, "files")

    if request.method == "POST":
        response = _submit(form, action, FILE_ERRORS)
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/file_edit.html",
        _context(version, form=form, design_file=design_file),
    )


@access("member", perm="design.edit", object="file_id", model="designs.DesignFile")
@login_required
def file_remove(request: HttpRequest, file_id: int) -> HttpResponse:
    actor = request_actor(request)
    design_file = get_for_action_or_404(DesignFile, actor, "design.edit", pk=file_id)
    version = design_file.version
    return _remove_page(
        request,
        version,
        question=_("Remove the file “%(name)s”?") % {"name": design_file.filename},
        name=design_file.filename,
        remove=lambda: services.remove_file(actor=actor, design_file=design_file),
        anchor="files",
        cancel_url=reverse("designs:file_add", args=[version.pk]),
    )


# ---------------------------------------------------------------- BOM


def _bom_errors(source: str) -> dict[str, str]:
    """A refused component concerns the design chosen, or the existing item chosen."""
    field = "item" if source == ItemSource.EXISTING else "design"
    codes = ("bom_cycle", "component_not_released", "component_mismatch", "item_design_missing")
    return {**dict.fromkeys(codes, field), "foreign_item": "item"}


@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@login_required
def bom_add(request: HttpRequest, version_id: int) -> HttpResponse:
    """A BOM line: an existing item, or a new material, bought part or library design."""
    actor = request_actor(request)
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    form = BomLineAddForm(_data(request), actor=actor, version=version)

    def action() -> str:
        data = form.cleaned_data
        organization = version.design.organization
        if data["source"] == ItemSource.EXISTING:
            item = data["item"]
        elif data["source"] == ItemSource.DESIGN:
            item = services.item_for_design(
                actor=actor, organization=organization, design=data["design"]
            )
        else:
            item = services.create_item(
                actor=actor, organization=organization, values=form.new_item_values()
            )
        services.add_bom_line(
            actor=actor,
            version=version,
            item=item,
            quantity=data["quantity"],
            unit=data["unit"] or None,
            reference=data["reference"],
            notes=data["notes"],
        )
        messages.success(request, _("“%(name)s” was added to the BOM.") % {"name": item.name})
        return _after_add(request, version, "bom")

    if request.method == "POST":
        source = request.POST.get("source", "")
        response = _submit_once(request, form, action, _bom_errors(source))
        if response is not None:
            return response
    lines = list(version.bom_lines.select_related("item", "component_version"))
    for line in lines:
        line.quantity_display = number(line.quantity)  # type: ignore[attr-defined]
    return render(request, "designs/edit/bom.html", _context(version, form=form, lines=lines))


@access("member", perm="design.edit", object="line_id", model="designs.BomLine")
@login_required
def bom_line_edit(request: HttpRequest, line_id: int) -> HttpResponse:
    actor = request_actor(request)
    line = get_for_action_or_404(BomLine, actor, "design.edit", pk=line_id)
    version = line.version
    if (locked := _locked(request, version)) is not None:
        return locked
    form = BomLineEditForm(_data(request), actor=actor, line=line)

    def action() -> str:
        services.update_bom_line(actor=actor, line=line, values=form.line_values())
        messages.success(request, _("The BOM line was saved."))
        return version_url(version, "bom")

    if request.method == "POST":
        codes = ("bom_cycle", "component_not_released", "component_mismatch")
        fields = dict.fromkeys(codes, "component_version")
        response = _submit(form, action, fields)
        if response is not None:
            return response
    return render(
        request, "designs/edit/bom_line_form.html", _context(version, form=form, line=line)
    )


@access("member", perm="design.edit", object="line_id", model="designs.BomLine")
@login_required
def bom_line_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    actor = request_actor(request)
    line = get_for_action_or_404(BomLine, actor, "design.edit", pk=line_id)
    version = line.version
    return _remove_page(
        request,
        version,
        question=_("Remove “%(name)s” from the BOM?") % {"name": line.item.name},
        name=line.item.name,
        remove=lambda: services.remove_bom_line(actor=actor, line=line),
        anchor="bom",
        cancel_url=reverse("designs:bom_add", args=[version.pk]),
    )


# ---------------------------------------------------------------- routing


@access(
    "member",
    perm="design.edit",
    methods=("GET",),
    object="version_id",
    model="designs.DesignVersion",
)
@login_required
@require_GET
def routing(request: HttpRequest, version_id: int) -> HttpResponse:
    """The operations in order, with buttons to move, edit and remove them."""
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    operations = list(version.operations.select_related("process", "material"))
    return render(request, "designs/edit/routing.html", _context(version, operations=operations))


@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@login_required
def operation_add(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = request_actor(request)
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    form = OperationForm(_data(request), creating=True, instance=Operation(version=version))

    def action() -> str:
        op = services.add_operation(actor=actor, version=version, values=form.operation_values())
        messages.success(request, _("The operation “%(name)s” was added.") % {"name": op.name})
        return _after_add(request, version, "routing")

    if request.method == "POST":
        response = _submit_once(request, form, action)
        if response is not None:
            return response
    return render(
        request, "designs/edit/operation_form.html", _context(version, form=form, operation=None)
    )


@access("member", perm="design.edit", object="operation_id", model="designs.Operation")
@login_required
def operation_edit(request: HttpRequest, operation_id: int) -> HttpResponse:
    """The operation's fields, and its SOP steps."""
    actor = request_actor(request)
    operation = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    version = operation.version
    if (locked := _locked(request, version)) is not None:
        return locked
    form = OperationForm(_data(request), instance=copy.copy(operation))

    def action() -> str:
        services.update_operation(actor=actor, operation=operation, values=form.operation_values())
        messages.success(request, _("The operation was saved."))
        return version_url(version, "routing")

    if request.method == "POST":
        response = _submit(form, action)
        if response is not None:
            return response
    steps = operation.steps.select_related("image")
    return render(
        request,
        "designs/edit/operation_form.html",
        _context(version, form=form, operation=operation, steps=steps),
    )


@access("member", perm="design.edit", object="operation_id", model="designs.Operation")
@login_required
def operation_remove(request: HttpRequest, operation_id: int) -> HttpResponse:
    actor = request_actor(request)
    operation = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    version = operation.version
    return _remove_page(
        request,
        version,
        question=_("Remove the operation “%(name)s” and its SOP steps?") % {"name": operation.name},
        name=operation.name,
        remove=lambda: services.remove_operation(actor=actor, operation=operation),
        anchor="routing",
        cancel_url=reverse("designs:routing", args=[version.pk]),
    )


def _move_back(request: HttpRequest, version: DesignVersion) -> str:
    """Back to the version page if the arrow was pressed there, else to the routing page."""
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc in ("", request.get_host()) and referer.path == version_url(version):
        return version_url(version, "routing")
    return reverse("designs:routing", args=[version.pk])


@access(
    "member",
    perm="design.edit",
    methods=("POST",),
    object="operation_id",
    model="designs.Operation",
)
@login_required
@require_POST
def operation_move(request: HttpRequest, operation_id: int) -> HttpResponse:
    """Move an operation one place up (``offset=-1``) or down (``offset=1``)."""
    actor = request_actor(request)
    operation = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    version = operation.version
    back = _move_back(request, version)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return redirect(back)  # nothing to do: an arrow always sends its offset
    ids = list(version.operations.values_list("pk", flat=True))
    target = ids.index(operation.pk) + form.cleaned_data["offset"]
    if not 0 <= target < len(ids):
        return redirect(back)  # already first or last
    try:
        services.move_operation(
            actor=actor, operation=operation, offset=form.cleaned_data["offset"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("“%(name)s” is now operation %(position)s.")
            % {"name": operation.name, "position": target + 1},
        )
    return redirect(back)


# ---------------------------------------------------------------- SOP steps


@access("member", perm="design.edit", object="operation_id", model="designs.Operation")
@login_required
def step_add(request: HttpRequest, operation_id: int) -> HttpResponse:
    actor = request_actor(request)
    operation = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    version = operation.version
    if (locked := _locked(request, version)) is not None:
        return locked
    form = StepForm(_data(request), version=version, creating=True)

    def action() -> str:
        data = form.cleaned_data
        services.add_step(
            actor=actor,
            operation=operation,
            text=data["text"],
            image=data["image"],
            caution=data["caution"],
        )
        messages.success(request, _("A step was added to “%(name)s”.") % {"name": operation.name})
        return _after_add(request, version, "routing")

    if request.method == "POST":
        response = _submit_once(request, form, action, STEP_ERRORS)
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/step_form.html",
        _context(version, form=form, operation=operation, step=None),
    )


@access("member", perm="design.edit", object="step_id", model="designs.SopStep")
@login_required
def step_edit(request: HttpRequest, step_id: int) -> HttpResponse:
    actor = request_actor(request)
    step = get_for_action_or_404(SopStep, actor, "design.edit", pk=step_id)
    operation = step.operation
    version = operation.version
    if (locked := _locked(request, version)) is not None:
        return locked
    form = StepForm(
        _data(request),
        version=version,
        initial={"text": step.text, "image": step.image_id, "caution": step.caution},
    )

    def action() -> str:
        services.update_step(actor=actor, step=step, values=form.cleaned_data)
        messages.success(request, _("The step was saved."))
        return reverse("designs:operation_edit", args=[operation.pk])

    if request.method == "POST":
        response = _submit(form, action, STEP_ERRORS)
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/step_form.html",
        _context(version, form=form, operation=operation, step=step),
    )


@access("member", perm="design.edit", object="step_id", model="designs.SopStep")
@login_required
def step_remove(request: HttpRequest, step_id: int) -> HttpResponse:
    actor = request_actor(request)
    step = get_for_action_or_404(SopStep, actor, "design.edit", pk=step_id)
    operation = step.operation
    names = {
        "position": list(operation.steps.values_list("pk", flat=True)).index(step.pk) + 1,
        "operation": operation.name,
    }
    return _remove_page(
        request,
        operation.version,
        question=_("Remove step %(position)s of “%(operation)s”?") % names,
        name=_("Step %(position)s of “%(operation)s”") % names,
        remove=lambda: services.remove_step(actor=actor, step=step),
        anchor="routing",
        cancel_url=reverse("designs:operation_edit", args=[operation.pk]),
    )


# ---------------------------------------------------------------- QC criteria


def _qc_anchor(criterion: QcCriterion) -> str:
    """Checks of an operation show in the routing, the others in the final inspection."""
    return "routing" if criterion.operation_id else "final-inspection"


@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@login_required
def qc_add(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = request_actor(request)
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    form = CriterionForm(
        _data(request),
        version=version,
        creating=True,
        instance=QcCriterion(version=version),
        initial={"operation": request.GET.get("operation") or None},
    )

    def action() -> str:
        criterion = services.add_criterion(
            actor=actor, version=version, values=form.criterion_values()
        )
        messages.success(
            request, _("The check “%(name)s” was added.") % {"name": criterion.characteristic}
        )
        return _after_add(request, version, _qc_anchor(criterion))

    if request.method == "POST":
        response = _submit_once(request, form, action, QC_ERRORS)
        if response is not None:
            return response
    criteria = list(version.qc_criteria.select_related("operation"))
    for c in criteria:
        c.nominal_display = number(c.nominal)  # type: ignore[attr-defined]
        c.minus_display = number(c.tolerance_minus)  # type: ignore[attr-defined]
        c.plus_display = number(c.tolerance_plus)  # type: ignore[attr-defined]
    return render(request, "designs/edit/qc.html", _context(version, form=form, criteria=criteria))


@access("member", perm="design.edit", object="criterion_id", model="designs.QcCriterion")
@login_required
def qc_edit(request: HttpRequest, criterion_id: int) -> HttpResponse:
    actor = request_actor(request)
    criterion = get_for_action_or_404(QcCriterion, actor, "design.edit", pk=criterion_id)
    version = criterion.version
    if (locked := _locked(request, version)) is not None:
        return locked
    form = CriterionForm(_data(request), version=version, instance=copy.copy(criterion))

    def action() -> str:
        services.update_criterion(actor=actor, criterion=criterion, values=form.criterion_values())
        messages.success(request, _("The check was saved."))
        return version_url(version, _qc_anchor(criterion))

    if request.method == "POST":
        response = _submit(form, action, QC_ERRORS)
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/qc_form.html",
        _context(version, form=form, criterion=criterion),
    )


@access("member", perm="design.edit", object="criterion_id", model="designs.QcCriterion")
@login_required
def qc_remove(request: HttpRequest, criterion_id: int) -> HttpResponse:
    actor = request_actor(request)
    criterion = get_for_action_or_404(QcCriterion, actor, "design.edit", pk=criterion_id)
    version = criterion.version
    return _remove_page(
        request,
        version,
        question=_("Remove the check “%(name)s”?") % {"name": criterion.characteristic},
        name=criterion.characteristic,
        remove=lambda: services.remove_criterion(actor=actor, criterion=criterion),
        anchor=_qc_anchor(criterion),
        cancel_url=reverse("designs:qc_add", args=[version.pk]),
    )


# ---------------------------------------------------------------- DFM checklist


@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@login_required
def dfm(request: HttpRequest, version_id: int) -> HttpResponse:
    """The DFM checklist of Annex A.1: yes / no / not applicable, with comments."""
    actor = request_actor(request)
    version = _version(request, version_id)
    if (locked := _locked(request, version)) is not None:
        return locked
    answers = {a.question: a for a in version.dfm_answers.all()}
    form = DfmForm(_data(request), answers=answers)

    def action() -> str:
        given = {
            code: services.DfmInput(answer=answer, comment=comment)
            for code, (answer, comment) in form.answers().items()
        }
        services.answer_dfm(actor=actor, version=version, answers=given)
        messages.success(
            request,
            _("The checklist was saved (%(count)s answers).")
            % {"count": len(answers.keys() | given.keys())},
        )
        return version_url(version, "specification")

    if request.method == "POST":
        response = _submit(form, action)
        if response is not None:
            return response
    return render(
        request,
        "designs/edit/dfm.html",
        _context(version, form=form, answered=len(answers), total=len(QUESTION_CODES)),
    )
