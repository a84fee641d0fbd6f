"""The programme officer's pages for calls: the list (every state), writing a call in three
languages with its grid, questions and documents, publishing and closing it.

Every page needs the network permission ``programme.manage`` (the list: ``programme.view``).
Writes go through ``programme.services.calls``; a refusal is shown next to the field it
concerns with everything typed kept. Saving a draft that holds a word the FEDER rule forbids
works but warns; publishing refuses it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.designs.edit_views import run_once, show_refusal
from reproduce.programme.forms_calls import (
    CallForm,
    CriteriaFormSet,
    DocumentFormSet,
    QuestionFormSet,
    documents_initial,
    documents_of,
    rows_of,
)
from reproduce.programme.models import ApplicationState, Call, DocumentKind
from reproduce.programme.services import calls as services
from reproduce.programme.services.calls import DEFAULT_CRITERIA, DEFAULT_DOCUMENTS

DOCUMENT_LABELS = dict(DocumentKind.choices)


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@access("network", perm="programme.view")
@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """Every call, drafts included, with how many applications each received."""
    actor = request_actor(request)
    require(actor, "programme.view")
    rows = (
        Call.objects.visible_to(actor)
        .annotate(
            submitted=Count(
                "applications",
                filter=~Q(
                    applications__state__in=[ApplicationState.DRAFT, ApplicationState.WITHDRAWN]
                ),
            ),
            drafts=Count("applications", filter=Q(applications__state=ApplicationState.DRAFT)),
        )
        .order_by("-opens_on", "pk")
    )
    return render(request, "programme/calls/list.html", {"calls": rows})


class CallPage:
    """The call form with its three formsets, bound to the POST or to the call's values."""

    def __init__(self, request: HttpRequest, call: Call | None) -> None:
        data = _data(request)
        self.call = call
        self.form = CallForm(data, instance=call)
        grid = call.criteria if call is not None else DEFAULT_CRITERIA
        self.criteria = CriteriaFormSet(data, prefix="criteria", initial=grid)
        self.questions = QuestionFormSet(
            data, prefix="questions", initial=call.questions if call is not None else []
        )
        self.documents = DocumentFormSet(
            data, prefix="documents", initial=documents_initial(call, DEFAULT_DOCUMENTS)
        )
        self.part_errors: dict[str, str] = {}

    def is_valid(self) -> bool:
        parts: list[Any] = [self.form, self.criteria, self.questions, self.documents]
        results = [p.is_valid() for p in parts]  # every part, to show all its errors
        return all(results)

    def refuse(self, exc: ValidationError) -> None:
        field = getattr(exc, "field", None)
        if field in ("criteria", "questions", "documents"):
            self.part_errors[field] = " ".join(str(m) for m in exc.messages)
            self.form.add_error(None, exc)
        else:
            show_refusal(self.form, exc, {str(getattr(exc, "code", "")): field or ""})

    def save(self, actor: Actor) -> Call:
        kwargs: dict[str, Any] = {
            "values": self.form.values(),
            "host_fablabs": list(self.form.cleaned_data["host_fablabs"]),
            "criteria": rows_of(self.criteria),
            "questions": rows_of(self.questions),
            "documents": documents_of(self.documents),
        }
        if self.call is None:
            return services.create_call(actor=actor, **kwargs)
        return services.update_call(actor=actor, call=self.call, **kwargs)

    def context(self) -> dict[str, Any]:
        total = sum(int(row.get("points") or 0) for row in self._grid_rows())
        return {
            "call": self.call,
            "form": self.form,
            "criteria": self.criteria,
            "questions": self.questions,
            "documents": self.documents,
            "document_rows": [
                (DOCUMENT_LABELS.get(str(f["kind"].value()), f["kind"].value()), f)
                for f in self.documents.forms
            ],
            "part_errors": self.part_errors,
            "grid_total": total,
            "warnings": services.wording_messages(self.call) if self.call is not None else [],
            "missing": services.missing_for_publication(self.call) if self.call else [],
            "text_rows": _text_rows(self.form),
        }

    def _grid_rows(self) -> list[dict[str, Any]]:
        if self.criteria.is_bound:
            try:
                return rows_of(self.criteria) if self.criteria.is_valid() else []
            except ValidationError:
                return []
        return list(self.call.criteria if self.call is not None else DEFAULT_CRITERIA)


def _text_rows(form: CallForm) -> list[dict[str, Any]]:
    """The texts grouped by language, for the three-language fieldsets."""
    names = {"fr": _("French"), "nl": _("Dutch"), "en": _("English")}
    return [
        {
            "lang": lang,
            "name": names[lang],
            "fields": [form[f"{part}_{lang}"] for part in ("title", "theme", "description")],
        }
        for lang in ("fr", "nl", "en")
    ]


def _saved(request: HttpRequest, call: Call) -> str:
    warnings = services.wording_messages(call)
    if warnings:
        messages.warning(
            request,
            _("The call was saved, but it cannot be published while it holds forbidden words: ")
            + " ".join(warnings),
        )
    else:
        messages.success(request, _("The call was saved."))
    return reverse("programme:call_edit", args=[call.slug])


@access("network", perm="programme.manage")
@login_required
def call_new(request: HttpRequest) -> HttpResponse:
    """Write a new call (a draft until published)."""
    actor = request_actor(request)
    require(actor, "programme.manage")
    page = CallPage(request, None)
    if request.method == "POST" and page.is_valid():
        try:
            return run_once(
                request,
                page.form.cleaned_data.get("form_token", ""),
                lambda: _saved(request, page.save(actor)),
            )
        except ValidationError as exc:
            page.refuse(exc)
    return render(request, "programme/calls/form.html", page.context())


@access("network", perm="programme.manage", object="slug", model="programme.Call")
@login_required
def call_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a call; the page also says what publishing still needs."""
    actor = request_actor(request)
    require(actor, "programme.manage")
    call = get_visible_or_404(Call, actor, slug=slug)
    page = CallPage(request, call)
    if request.method == "POST" and page.is_valid():
        try:
            with transaction.atomic():
                saved = page.save(actor)
        except ValidationError as exc:
            call.refresh_from_db()
            page.refuse(exc)
        else:
            return redirect(_saved(request, saved))
    return render(request, "programme/calls/form.html", page.context())


def _transition(request: HttpRequest, slug: str, action: Any, done: str) -> HttpResponse:
    actor = request_actor(request)
    require(actor, "programme.manage")
    call = get_visible_or_404(Call, actor, slug=slug)
    try:
        action(actor=actor, call=call)
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc.messages))
    else:
        messages.success(request, done)
    return redirect("programme:call_edit", slug=call.slug)


@access(
    "network", perm="programme.manage", object="slug", model="programme.Call", methods=("POST",)
)
@login_required
@require_POST
def call_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish the call: checked complete, free of forbidden words, deadline ahead."""
    return _transition(
        request, slug, services.publish_call, _("The call is published: applications are open.")
    )


@access(
    "network", perm="programme.manage", object="slug", model="programme.Call", methods=("POST",)
)
@login_required
@require_POST
def call_close(request: HttpRequest, slug: str) -> HttpResponse:
    """Close the call: no more applications; review and interviews follow."""
    return _transition(
        request, slug, services.close_call, _("The call is closed: no more applications.")
    )


urlpatterns = [
    path("manage/calls/", call_list, name="call_list"),
    path("manage/calls/new/", call_new, name="call_new"),
    path("manage/calls/<slug:slug>/", call_edit, name="call_edit"),
    path("manage/calls/<slug:slug>/publish/", call_publish, name="call_publish"),
    path("manage/calls/<slug:slug>/close/", call_close, name="call_close"),
]
