"""Public calls, and applying to them (the applicant's own pages).

* ``calls`` and ``call`` are public: published calls (open ones first) in the visitor's language,
  with the host fablabs, the grid, the documents asked and an "Apply" button.
* Applying needs an account (sign-up is linked). An applicant reaches only their own
  applications: another person's answers 404 — officers and reviewers read applications on
  their own pages, which record the access. The applicant's page never shows the jury's scores
  or the programme team's notes.
* The form is one page in sections, made for a phone. "Save the draft" keeps whatever is typed;
  a refusal is shown next to its field with everything typed kept, and each document is stored
  on its own, so a refused file or ranking loses nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404
from reproduce.designs.edit_views import show_refusal
from reproduce.files.http import blob_response
from reproduce.files.uploads import too_large_message, upload_was_refused
from reproduce.programme.forms_applications import (
    ApplicationForm,
    ConfirmForm,
    initial_of,
)
from reproduce.programme.models import (
    DECIDED_STATES,
    Application,
    ApplicationDocument,
    ApplicationState,
    Call,
    CallState,
)
from reproduce.programme.services import applications as services
from reproduce.programme.services.calls import choices_needed, is_open

# Which form field a refusal of the services concerns, when the error does not name it.
FIELD_OF = {
    "same_fablab_twice": "choice_1",
    "not_a_host_fablab": "choice_1",
    "too_many_choices": "choice_1",
    "invalid_enterprise_number": "enterprise_number",
    "invalid_fte": "fte",
}


def _lang() -> str:
    return (get_language() or "fr")[:2]


# ---------------------------------------------------------------- public pages


def fablab_links(call: Call, actor: Actor) -> list[dict[str, Any]]:
    """The host fablabs, each with the address of its page on the network map (its first
    listed workshop) or else its website."""
    from reproduce.network.models import Site

    fablabs = list(call.host_fablabs.order_by("name"))
    sites: dict[int, Site] = {}
    for site in (
        Site.objects.visible_to(actor)
        .filter(organization__in=[f.pk for f in fablabs], is_listed=True)
        .order_by("name")
    ):
        sites.setdefault(site.organization_id, site)
    rows = []
    for fablab in fablabs:
        site = sites.get(fablab.pk)
        url = reverse("network:site_detail", args=[site.slug]) if site else fablab.website
        rows.append({"fablab": fablab, "url": url})
    return rows


def criteria_rows(call: Call) -> list[dict[str, Any]]:
    lang = _lang()
    return [
        {"label": c.get(f"label_{lang}") or c.get("label_fr") or c["key"], "points": c["points"]}
        for c in call.criteria or []
    ]


@access("public")
def calls(request: HttpRequest) -> HttpResponse:
    """Published calls: those open for applications first, then the closed ones."""
    actor = request_actor(request)
    rows = list(Call.objects.visible_to(actor).exclude(state=CallState.DRAFT).order_by("-deadline"))
    for row in rows:
        row.theme_text = row.text("theme")  # type: ignore[attr-defined]
    now = timezone.now()
    open_calls = [c for c in rows if is_open(c, now)]
    past = [c for c in rows if not is_open(c, now)]
    return render(
        request, "programme/applicant/calls.html", {"open_calls": open_calls, "past_calls": past}
    )


@access("public", object="slug", model="programme.Call")
def call(request: HttpRequest, slug: str) -> HttpResponse:
    """A call in the visitor's language: theme, dates, host fablabs, places, grid, documents."""
    actor = request_actor(request)
    found = get_visible_or_404(Call, actor, slug=slug)
    if found.state == CallState.DRAFT:  # an officer previewing sees it; nobody else does
        messages.info(request, _("This call is a draft: only the programme team sees it."))
    mine = None
    if actor.user_id is not None:
        mine = services.my_applications(actor).filter(call=found).first()
    return render(
        request,
        "programme/applicant/call.html",
        {
            "call": found,
            "theme": found.text("theme"),
            "description": found.text("description"),
            "is_open": is_open(found),
            "fablabs": fablab_links(found, actor),
            "criteria": criteria_rows(found),
            "documents": services.documents_asked(found),
            "choices_needed": choices_needed(found),
            "mine": mine,
        },
    )


# ---------------------------------------------------------------- applying


@access("authenticated", object="slug", model="programme.Call", methods=("GET", "POST"))
@login_required
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    """Start (or go back to) my application to the call."""
    actor = request_actor(request)
    found = get_visible_or_404(Call, actor, slug=slug)
    mine = services.my_applications(actor).filter(call=found).first()
    if mine is not None and mine.state != ApplicationState.WITHDRAWN:
        return redirect("programme:application", pk=mine.pk)
    if request.method == "POST":
        try:
            application = services.start_application(actor=actor, call=found)
        except ValidationError as exc:
            messages.error(request, " ".join(str(m) for m in exc.messages))
            return redirect("programme:call", slug=found.slug)
        return redirect("programme:application", pk=application.pk)
    return render(
        request,
        "programme/applicant/apply.html",
        {"call": found, "is_open": is_open(found), "withdrawn": mine},
    )


def _mine_or_404(actor: Actor, pk: int) -> Application:
    """The actor's own application — anyone else's answers 404, officers' included."""
    application = services.my_applications(actor).select_related("call").filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def _store_documents(request: HttpRequest, form: ApplicationForm, application: Application) -> int:
    """Store each uploaded document on its own; a refused one is shown on its field."""
    stored = 0
    for kind, upload in form.uploads():
        try:
            services.add_document(
                actor=request_actor(request), application=application, kind=kind, upload=upload
            )
            stored += 1
        except ValidationError as exc:
            form.add_error(f"doc_{kind}", exc)
    return stored


def _save(request: HttpRequest, form: ApplicationForm, application: Application) -> bool:
    """Save the values, then the documents; True when nothing was refused."""
    try:
        services.save_application(
            actor=request_actor(request),
            application=application,
            values=form.values(),
            choices=form.ranked(),
        )
    except ValidationError as exc:
        code = str(getattr(exc, "code", ""))
        show_refusal(form, exc, {code: FIELD_OF.get(code) or getattr(exc, "field", None) or ""})
    _store_documents(request, form, application)
    return not form.errors


def _submit(request: HttpRequest, form: ApplicationForm, application: Application) -> bool:
    try:
        services.submit_application(actor=request_actor(request), application=application)
    except ValidationError as exc:
        missing = getattr(exc, "missing", None)
        if missing:
            form.missing = missing  # type: ignore[attr-defined]
            form.add_error(None, _("Some parts are still missing; your draft is saved."))
        else:
            form.add_error(None, exc)
        return False
    return True


@access("authenticated", object="pk", model="programme.Application", methods=("GET", "POST"))
@login_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """My application: the form while it is a draft, its status afterwards."""
    actor = request_actor(request)
    found = _mine_or_404(actor, pk)
    if found.state != ApplicationState.DRAFT:
        return _status_page(request, found)
    if request.method == "POST" and upload_was_refused(request):
        messages.error(request, too_large_message())
        return redirect("programme:application", pk=found.pk)
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        call=found.call,
        initial=initial_of(found),
    )
    if request.method == "POST" and form.is_valid() and _save(request, form, found):
        if request.POST.get("action") != "submit":
            messages.success(
                request, _("Your draft is saved. You can come back to it at any time.")
            )
            return redirect("programme:application", pk=found.pk)
        if _submit(request, form, found):
            messages.success(
                request, _("Your application was sent. A confirmation is on its way by e-mail.")
            )
            return redirect("programme:application", pk=found.pk)
    elif request.method == "POST" and not form.is_valid():
        # Keep the documents even when another field is wrong: nothing is lost.
        _store_documents(request, form, found)
    return render(request, "programme/applicant/form.html", _form_context(found, form))


def _form_context(application: Application, form: ApplicationForm) -> dict[str, Any]:
    documents = {d.kind: d for d in application.documents.all()}
    return {
        "application": application,
        "call": application.call,
        "form": form,
        "is_open": is_open(application.call),
        "documents": documents,
        "document_rows": [(field, documents.get(field.name[4:])) for field in form.documents],
        "missing": getattr(form, "missing", None),
    }


def _status_page(request: HttpRequest, application: Application) -> HttpResponse:
    return render(
        request,
        "programme/applicant/status.html",
        {
            "application": application,
            "call": application.call,
            "choices": application.choices.select_related("fablab"),
            "documents": application.documents.all(),
            "can_withdraw": application.state not in (*DECIDED_STATES, ApplicationState.WITHDRAWN),
            "can_reopen": application.state == ApplicationState.WITHDRAWN
            and is_open(application.call),
        },
    )


@access("authenticated", object="pk", model="programme.Application", methods=("GET", "POST"))
@login_required
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw my application (asks first)."""
    actor = request_actor(request)
    found = _mine_or_404(actor, pk)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_application(actor=actor, application=found)
        except ValidationError as exc:
            messages.error(request, " ".join(str(m) for m in exc.messages))
        else:
            messages.success(request, _("Your application is withdrawn."))
        return redirect("programme:application", pk=found.pk)
    return render(
        request, "programme/applicant/withdraw.html", {"application": found, "form": form}
    )


@access("authenticated", object="pk", model="programme.ApplicationDocument")
@login_required
def my_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One of my documents, as I sent it."""
    actor = request_actor(request)
    document = (
        ApplicationDocument.objects.visible_to(actor)
        .filter(pk=pk, application__applicant_id=actor.user_id)
        .select_related("blob")
        .first()
    )
    if document is None:
        raise Http404
    return blob_response(document.blob, document.filename, inline=True)


# ---------------------------------------------------------------- my applications and data


@access("authenticated")
@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    """My applications and their status."""
    actor = request_actor(request)
    rows = services.my_applications(actor).select_related("call").order_by("-created_at")
    return render(request, "programme/applicant/mine.html", {"applications": rows})


@access("authenticated")
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """What the programme holds about me: download it, or erase it."""
    actor = request_actor(request)
    rows = list(services.my_applications(actor).select_related("call"))
    return render(
        request,
        "programme/applicant/my_data.html",
        {
            "applications": rows,
            "deletable": [
                a for a in rows if a.state in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)
            ],
            "anonymisable": [
                a
                for a in rows
                if a.state not in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)
            ],
        },
    )


@access("authenticated")
@login_required
def my_data_export(request: HttpRequest) -> HttpResponse:
    """Everything about me as a JSON file."""
    data = services.export_my_data(actor=request_actor(request))
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-applications.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@access("authenticated", methods=("GET", "POST"))
@login_required
def my_data_delete(request: HttpRequest) -> HttpResponse:
    """Erase my applications (asks first)."""
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        counts = services.delete_my_data(actor=request_actor(request))
        messages.success(
            request,
            _("Done: %(deleted)s application(s) deleted, %(anonymised)s anonymised.") % counts,
        )
        return redirect("programme:my_data")
    return render(request, "programme/applicant/my_data_delete.html", {"form": form})


urlpatterns = [
    path("calls/", calls, name="calls"),
    path("calls/<slug:slug>/", call, name="call"),
    path("calls/<slug:slug>/apply/", apply, name="apply"),
    path("applications/", my_applications, name="my_applications"),
    path("applications/<int:pk>/", application, name="application"),
    path("applications/<int:pk>/withdraw/", application_withdraw, name="application_withdraw"),
    path("my-documents/<int:pk>/", my_document, name="my_document"),
    path("my-data/", my_data, name="my_data"),
    path("my-data/export.json", my_data_export, name="my_data_export"),
    path("my-data/delete/", my_data_delete, name="my_data_delete"),
]
