"""Reviewers' pages: the applications assigned to me, one application with its documents and
the scoring grid, declaring a conflict of interest; and the document download shared with the
officers.

An application a reviewer is not assigned to, or declared a conflict with, answers 404 (as a
missing one). Every opening of an application and every document download by someone other
than its applicant is written to the audit log (``record_access``). Reviewers never see other
reviewers' scores.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.designs.edit_views import show_refusal
from reproduce.files.http import blob_response
from reproduce.programme.access import record_access
from reproduce.programme.forms_review import ConflictForm, ScoreForm, points_field
from reproduce.programme.models import (
    Application,
    ApplicationDocument,
    Conflict,
    ReviewAssignment,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import review as services
from reproduce.programme.services.review import criterion_label


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _text(item: dict[str, Any], name: str) -> str:
    """A question's label in the active language (like ``TranslatedText.text``)."""
    from django.utils.translation import get_language

    lang = (get_language() or "fr")[:2]
    for code in (lang, "fr", "en", "nl"):
        if item.get(f"{name}_{code}"):
            return str(item[f"{name}_{code}"])
    return str(item.get("key", ""))


def application_context(application: Application) -> dict[str, Any]:
    """What the reviewer and the officer read of an application: person, enterprise, answers,
    ranked fablabs, documents (three queries)."""
    call = application.call
    answers = application.answers or {}
    questions = [(_text(q, "label"), answers.get(q.get("key"), "")) for q in call.questions or []]
    known = {q.get("key") for q in call.questions or []}
    questions += [(k, v) for k, v in answers.items() if k not in known]
    return {
        "application": application,
        "call": call,
        "answers": questions,
        "choices": list(application.choices.select_related("fablab").order_by("rank")),
        "documents": list(application.documents.order_by("kind", "pk")),
    }


# ---------------------------------------------------------------- my applications to review


def _my_assignments(actor: Actor) -> Any:
    """The actor's assignments on applications they may see (submitted, not in conflict)."""
    conflicted = Conflict.objects.unscoped("existence test").filter(
        application=OuterRef("application"), reviewer_id=actor.user_id
    )
    return (
        ReviewAssignment.objects.visible_to(actor)
        .filter(
            reviewer_id=actor.user_id,
            application__in=Application.objects.visible_to(actor).values("pk"),
        )
        .exclude(Exists(conflicted))
        .annotate(scored=Count("scores"))
        .select_related("application__call")
        .order_by("application__call__deadline", "application__reference")
    )


@access("network", perm="programme.review", methods=("GET",))
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The applications assigned to me, per call, with where my review stands."""
    actor = request_actor(request)
    require(actor, "programme.review")
    assignments = list(_my_assignments(actor))
    calls: dict[int, dict[str, Any]] = {}
    for a in assignments:
        entry = calls.setdefault(a.application.call_id, {"call": a.application.call, "rows": []})
        entry["rows"].append(a)
    return render(
        request,
        "programme/review/home.html",
        {"calls": list(calls.values()), "todo": sum(1 for a in assignments if not a.submitted_at)},
    )


# ---------------------------------------------------------------- one application


def _assignment(actor: Actor, pk: int) -> ReviewAssignment:
    """The actor's assignment on application ``pk``; 404 unless assigned and not conflicted."""
    require(actor, "programme.review")
    application = get_visible_or_404(Application, actor, pk=pk)
    assignment = (
        ReviewAssignment.objects.visible_to(actor)
        .filter(application=application, reviewer_id=actor.user_id)
        .select_related("application__call")
        .first()
    )
    if assignment is None or services.has_conflict(application, actor.user_id):
        raise Http404
    return assignment  # type: ignore[no-any-return]


def _page(
    request: HttpRequest,
    actor: Actor,
    assignment: ReviewAssignment,
    form: ScoreForm | None = None,
    conflict_form: ConflictForm | None = None,
) -> HttpResponse:
    application = assignment.application
    call = application.call
    form = form or ScoreForm(call=call, assignment=assignment)
    if assignment.submitted_at is not None:
        for field in form.fields.values():
            field.disabled = True
    record_access(actor, application, "view")
    context = application_context(application) | {
        "assignment": assignment,
        "form": form,
        "conflict_form": conflict_form or ConflictForm(),
        "grid": [(criterion_label(c), c["points"]) for c in services.criteria(call)],
        "grid_total": services.grid_total(call),
    }
    return render(request, "programme/review/application.html", context)


@access("network", perm="programme.review", object="pk", model="programme.Application")
@login_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """The application and my scores on the call's grid (save as a draft, or send)."""
    actor = request_actor(request)
    assignment = _assignment(actor, pk)
    if request.method != "POST":
        return _page(request, actor, assignment)
    form = ScoreForm(request.POST, call=assignment.application.call, assignment=assignment)
    if not form.is_valid():
        return _page(request, actor, assignment, form)
    submit = "submit" in request.POST
    try:
        services.save_scores(
            actor=actor,
            assignment=assignment,
            points=form.points(),
            comments=form.comments(),
            comment=form.cleaned_data["comment"],
            submit=submit,
        )
    except ProgrammeError as exc:
        _show(form, exc)
        return _page(request, actor, assignment, form)
    if submit:
        messages.success(request, _("Your scores are sent. Thank you."))
        return redirect("programme:review_home")
    messages.success(request, _("Your scores are saved as a draft."))
    return redirect("programme:review_application", pk=pk)


def _show(form: ScoreForm, exc: ProgrammeError) -> None:
    target = points_field(exc.field) if exc.field else None
    form.add_error(target if target in form.fields else None, exc)


@access(
    "network",
    perm="programme.review",
    object="pk",
    model="programme.Application",
    methods=("POST",),
)
@login_required
@require_POST
def conflict(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare a conflict of interest: the application disappears from my list for good."""
    actor = request_actor(request)
    assignment = _assignment(actor, pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            services.declare_conflict(
                actor=actor, application=assignment.application, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            show_refusal(form, exc, {"reason_required": "reason"})
        else:
            messages.success(
                request,
                _("Conflict of interest recorded: the application is no longer shown to you."),
            )
            return redirect("programme:review_home")
    return _page(request, actor, assignment, conflict_form=form)


# ---------------------------------------------------------------- documents


@access("authenticated", object="pk", model="programme.ApplicationDocument")
@login_required
def document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A document of an application, for its applicant, the officers and the reviewers
    assigned and not in conflict (404 for anyone else); audited unless the applicant."""
    actor = request_actor(request)
    doc = get_visible_or_404(ApplicationDocument, actor, pk=pk)
    application = (
        Application.objects.unscoped("the document's application, visible just above")
        .select_related("call")
        .get(pk=doc.application_id)
    )
    if application.applicant_id != actor.user_id:
        record_access(actor, application, "download")
    return blob_response(doc.blob, doc.filename, inline=request.GET.get("inline") == "1")


def review_url(application: Application) -> str:
    return reverse("programme:review_application", args=[application.pk])


urlpatterns = [
    path("review/", home, name="review_home"),
    path("review/<int:pk>/", application, name="review_application"),
    path("review/<int:pk>/conflict/", conflict, name="review_conflict"),
    path("documents/<int:pk>/", document, name="application_document"),
]
