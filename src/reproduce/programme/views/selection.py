"""Programme officers' selection pages — the applications of a call, one application with its
reviews, assigning reviewers, the score statistics and ranking (with its CSV export),
interview slots, decisions and sending them — and the invited applicant's interview booking.

Reading needs ``programme.view``, acting ``programme.manage`` (403 otherwise); a call or an
application that does not exist answers 404. Opening an application and exporting the ranking
are written to the audit log (``record_access``).
"""

from __future__ import annotations

import io
from typing import Any

from defusedcsv import csv as defusedcsv
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.accounts.models import User
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.designs.edit_views import run_once, show_refusal
from reproduce.programme import ical_interviews
from reproduce.programme.access import record_access
from reproduce.programme.forms_review import (
    ApplicationFilterForm,
    AssignForm,
    BookSlotForm,
    DecisionForm,
    SlotSeriesForm,
    slot_label,
)
from reproduce.programme.models import (
    DECIDED_STATES,
    Application,
    ApplicationState,
    Call,
    Conflict,
    InterviewSlot,
    ReviewAssignment,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import decisions as decision_services
from reproduce.programme.services import interviews as interview_services
from reproduce.programme.services import review as review_services
from reproduce.programme.services.review import criteria, criterion_label, score_statistics
from reproduce.programme.views.review import application_context

PAGE_SIZE = 50
SLOT_ERRORS = {
    "invalid_period": "last_day",
    "invalid_duration": "minutes",
    "invalid_count": "count",
    "too_many_slots": "count",
    "slots_past": "first_day",
}


def _call(actor: Actor, slug: str, perm: str = "programme.view") -> Call:
    require(actor, perm)
    return get_visible_or_404(Call, actor, slug=slug)


def _application(actor: Actor, pk: int, perm: str = "programme.view") -> Application:
    require(actor, perm)
    application = get_visible_or_404(Application, actor, pk=pk)
    application.call  # noqa: B018 — loaded once for the page
    return application


# ---------------------------------------------------------------- applications of a call


def _filtered(call: Call, actor: Actor, form: ApplicationFilterForm) -> QuerySet[Application]:
    rows = Application.objects.visible_to(actor).filter(call=call)
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ""
    rows = rows.filter(state=state) if state else rows.exclude(state=ApplicationState.DRAFT)
    for word in (data.get("q") or "").split()[:5]:
        rows = rows.filter(
            Q(reference__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(enterprise_name__icontains=word)
        )
    return rows.order_by("reference")


@access("network", perm="programme.view", object="slug", model="programme.Call")
@login_required
def applications(request: HttpRequest, slug: str) -> HttpResponse:
    """The applications of a call, filtered by status and searched by name or reference,
    with where their review stands. A fixed number of queries whatever the page holds."""
    actor = request_actor(request)
    call = _call(actor, slug)
    form = ApplicationFilterForm(request.GET or None)
    page = Paginator(_filtered(call, actor, form), PAGE_SIZE).get_page(request.GET.get("page"))
    stats = {s.application.pk: s for s in score_statistics(call)}
    rows = [(a, stats.get(a.pk)) for a in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programme/selection/applications.html",
        {"call": call, "form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


# ---------------------------------------------------------------- one application


def _detail(
    request: HttpRequest,
    actor: Actor,
    application: Application,
    *,
    assign_form: AssignForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    call = application.call
    assignments = list(
        ReviewAssignment.objects.visible_to(actor)
        .filter(application=application)
        .select_related("reviewer")
        .prefetch_related("scores")
    )
    conflicts = list(
        Conflict.objects.visible_to(actor)
        .filter(application=application)
        .select_related("reviewer")
    )
    taken = {a.reviewer_id for a in assignments} | {c.reviewer_id for c in conflicts}
    free: QuerySet[User] = review_services.reviewers().exclude(pk__in=taken)
    grid = criteria(call)
    reviews = [
        {
            "assignment": a,
            "in_conflict": a.reviewer_id in {c.reviewer_id for c in conflicts},
            "scores": {s.criterion: s for s in a.scores.all()},
            "total": sum((s.points for s in a.scores.all()), start=0),
        }
        for a in assignments
    ]
    slot = InterviewSlot.objects.visible_to(actor).filter(application=application).first()
    record_access(actor, application, "view")
    context = application_context(application) | {
        "reviews": reviews,
        "grid": [(str(c["key"]), criterion_label(c), c["points"]) for c in grid],
        "conflicts": conflicts,
        "assign_form": assign_form or AssignForm(queryset=free),
        "has_free_reviewers": free.exists(),
        "decision_form": decision_form or DecisionForm(initial={"decision": application.state}),
        "can_invite": application.state == ApplicationState.SUBMITTED,
        "can_decide": application.state
        in (ApplicationState.SUBMITTED, ApplicationState.INTERVIEW, *DECIDED_STATES)
        and application.decision_sent_at is None,
        "slot": slot,
        "message": decision_services.decision_message(application)
        if application.state in DECIDED_STATES
        else "",
    }
    return render(request, "programme/selection/application.html", context, status=status)


@access("network", perm="programme.view", object="pk", model="programme.Application")
@login_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """One application for the officer (audited): data, documents, reviews, conflicts,
    reviewers to assign, interview, decision."""
    actor = request_actor(request)
    return _detail(request, actor, _application(actor, pk))


@access(
    "network",
    perm="programme.manage",
    object="pk",
    model="programme.Application",
    methods=("POST",),
)
@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    application = _application(actor, pk, "programme.manage")
    form = AssignForm(request.POST, queryset=review_services.reviewers())
    if form.is_valid():
        reviewer = form.cleaned_data["reviewer"]

        def action() -> str:
            review_services.assign_reviewer(actor=actor, application=application, reviewer=reviewer)
            return reverse("programme:selection_application", args=[pk])

        try:
            response = run_once(request, form.cleaned_data.get("form_token", ""), action)
        except ValidationError as exc:
            show_refusal(form, exc, {})
        else:
            messages.success(
                request,
                _("%(name)s is asked to review this application.")
                % {"name": reviewer.get_full_name() or reviewer.email},
            )
            return response
    return _detail(request, actor, application, assign_form=form)


@access(
    "network",
    perm="programme.manage",
    object="pk",
    model="programme.Application",
    methods=("POST",),
)
@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Shortlist the application: the applicant is invited to pick an interview slot."""
    actor = request_actor(request)
    application = _application(actor, pk, "programme.manage")
    try:
        interview_services.invite_to_interview(actor=actor, application=application)
    except ProgrammeError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("%(ref)s is invited to an interview: the applicant chooses a slot.")
            % {"ref": application.reference},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = _detail_url(application)
    return redirect(back)


def _detail_url(application: Application) -> str:
    return reverse("programme:selection_application", args=[application.pk])


@access(
    "network",
    perm="programme.manage",
    object="pk",
    model="programme.Application",
    methods=("POST",),
)
@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the decision (not sent yet) with an optional personal message."""
    actor = request_actor(request)
    application = _application(actor, pk, "programme.manage")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decision_services.decide(
                actor=actor,
                application=application,
                decision=form.cleaned_data["decision"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            show_refusal(form, exc, {"forbidden_wording": "message", "message_too_long": "message"})
        else:
            messages.success(
                request,
                _("Decision recorded. It is sent with the others from the ranking page."),
            )
            return redirect(_detail_url(application))
    return _detail(request, actor, application, decision_form=form)


# ---------------------------------------------------------------- ranking


@access("network", perm="programme.view", object="slug", model="programme.Call")
@login_required
def ranking(request: HttpRequest, slug: str) -> HttpResponse:
    """Score statistics per application and the ranking by mean total."""
    actor = request_actor(request)
    call = _call(actor, slug)
    grid = criteria(call)
    pending = decision_services.pending(call)
    return render(
        request,
        "programme/selection/ranking.html",
        {
            "call": call,
            "rows": score_statistics(call),
            "grid": [(str(c["key"]), criterion_label(c), c["points"]) for c in grid],
            "grid_total": review_services.grid_total(call),
            "spread_flag": review_services.SPREAD_FLAG,
            "pending": pending,
        },
    )


@access("network", perm="programme.view", object="slug", model="programme.Call")
@login_required
def ranking_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The ranking as CSV (formulas neutralised); each application exported is audited."""
    actor = request_actor(request)
    call = _call(actor, slug)
    grid = criteria(call)
    rows = score_statistics(call)
    buffer = io.StringIO()
    writer = defusedcsv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            _("Rank"),
            _("Reference"),
            _("Name"),
            _("Enterprise"),
            _("Status"),
            *[criterion_label(c) for c in grid],
            _("Mean total"),
            _("Spread"),
            _("Reviews done"),
            _("Reviewers assigned"),
        ]
    )
    for row in rows:
        app = row.application
        record_access(actor, app, "export")
        writer.writerow(
            [
                row.rank or "",
                app.reference,
                app.full_name,
                app.enterprise_name,
                app.get_state_display(),
                *[_csv(row.criterion_means.get(str(c["key"]))) for c in grid],
                _csv(row.mean_total),
                _csv(row.spread),
                row.reviews_done,
                row.assigned,
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ranking-{call.slug}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv(value: Any) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------- interview slots


@access("network", perm="programme.manage", object="slug", model="programme.Call")
@login_required
def slots(request: HttpRequest, slug: str) -> HttpResponse:
    """The call's interview slots, and a form to add a series of them."""
    actor = request_actor(request)
    call = _call(actor, slug, "programme.manage")
    form = SlotSeriesForm(
        request.POST if request.method == "POST" else None,
        initial={"first_day": call.interviews_from, "last_day": call.interviews_to},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def action() -> str:
            created = interview_services.create_slots(
                actor=actor,
                call=call,
                first_day=data["first_day"],
                last_day=data["last_day"],
                start=data["start"],
                minutes=data["minutes"],
                count=data["count"],
                meeting_url=data["meeting_url"],
                weekdays_only=data["weekdays_only"],
            )
            messages.success(request, _("%(n)s slots added.") % {"n": len(created)})
            return reverse("programme:selection_slots", args=[call.slug])

        try:
            return run_once(request, data.get("form_token", ""), action)
        except ValidationError as exc:
            show_refusal(form, exc, SLOT_ERRORS)
    rows = (
        InterviewSlot.objects.visible_to(actor)
        .filter(call=call)
        .select_related("application")
        .order_by("starts_at")
    )
    invited = Application.objects.visible_to(actor).filter(
        call=call, state=ApplicationState.INTERVIEW, interview__isnull=True
    )
    return render(
        request,
        "programme/selection/slots.html",
        {"call": call, "form": form, "slots": list(rows), "waiting": list(invited)},
    )


@access(
    "network",
    perm="programme.manage",
    object="pk",
    model="programme.InterviewSlot",
    methods=("POST",),
)
@login_required
@require_POST
def slot_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, "programme.manage")
    slot = get_visible_or_404(InterviewSlot, actor, pk=pk)
    call = Call.objects.visible_to(actor).get(pk=slot.call_id)
    try:
        interview_services.delete_slot(actor=actor, slot=slot)
    except ProgrammeError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Slot removed."))
    return redirect("programme:selection_slots", slug=call.slug)


# ---------------------------------------------------------------- sending decisions


@access("network", perm="programme.manage", object="slug", model="programme.Call")
@login_required
def send_decisions(request: HttpRequest, slug: str) -> HttpResponse:
    """What will be sent (GET), and sending it (POST): one e-mail per applicant."""
    actor = request_actor(request)
    call = _call(actor, slug, "programme.manage")
    if request.method == "POST":
        try:
            count = decision_services.send_decisions(actor=actor, call=call)
        except ProgrammeError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("%(n)s decisions are being sent.") % {"n": count})
        return redirect("programme:selection_ranking", slug=call.slug)
    pending = decision_services.pending(call)
    counts = {s.label: sum(1 for a in pending if a.state == s) for s in DECIDED_STATES}
    return render(
        request,
        "programme/selection/send_decisions.html",
        {"call": call, "pending": pending, "counts": counts},
    )


# ---------------------------------------------------------------- the applicant's interview


def _own_application(actor: Actor, pk: int) -> Application:
    application = get_visible_or_404(Application, actor, pk=pk)
    if application.applicant_id != actor.user_id:
        raise Http404
    return application


def _free_slots(actor: Actor, application: Application) -> list[InterviewSlot]:
    return list(
        InterviewSlot.objects.visible_to(actor)
        .filter(call_id=application.call_id, application__isnull=True)
        .filter(starts_at__gt=timezone.now())
        .order_by("starts_at")
    )


@access("authenticated", object="pk", model="programme.Application")
@login_required
def interview_booking(request: HttpRequest, pk: int) -> HttpResponse:
    """The invited applicant picks a free interview slot (or another one instead)."""
    actor = request_actor(request)
    application = _own_application(actor, pk)
    booked = InterviewSlot.objects.visible_to(actor).filter(application=application).first()
    free = (
        _free_slots(actor, application) if application.state == ApplicationState.INTERVIEW else []
    )
    form = BookSlotForm(request.POST if request.method == "POST" else None, slots=free)
    if request.method == "POST" and form.is_valid():
        slot = (
            InterviewSlot.objects.unscoped("a slot of the applicant's call, claimed by the service")
            .filter(pk=form.cleaned_data["slot"], call_id=application.call_id)
            .first()
        )
        try:
            if slot is None:
                raise ProgrammeError(
                    _("Someone has just taken this slot: choose another one."), "slot_taken", "slot"
                )
            interview_services.book_slot(actor=actor, slot=slot, application=application)
        except ValidationError as exc:
            show_refusal(
                form, exc, {"slot_taken": "slot", "slot_past": "slot", "not_invited": "slot"}
            )
            free = _free_slots(actor, application)  # what is left to choose from
            form.fields["slot"].widget.choices = [(s.pk, slot_label(s)) for s in free]  # type: ignore[attr-defined]
        else:
            messages.success(
                request, _("Your interview is booked: the invitation is sent by e-mail.")
            )
            return redirect("programme:interview_booking", pk=pk)
    return render(
        request,
        "programme/selection/interview_booking.html",
        {
            "application": application,
            "call": application.call,
            "booked": booked,
            "form": form,
            "free": free,
        },
    )


@access("authenticated", object="pk", model="programme.InterviewSlot")
@login_required
def interview_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The iCalendar invitation of a booked interview: for its applicant and the officers."""
    actor = request_actor(request)
    slot = get_visible_or_404(InterviewSlot, actor, pk=pk)
    if slot.application_id is None:
        raise Http404
    slot = InterviewSlot.objects.visible_to(actor).select_related("call").get(pk=slot.pk)
    response = HttpResponse(
        ical_interviews.slot_calendar(slot), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{ical_interviews.filename(slot)}"'
    return response


urlpatterns = [
    path("selection/<slug:slug>/", applications, name="selection_applications"),
    path("selection/<slug:slug>/ranking/", ranking, name="selection_ranking"),
    path("selection/<slug:slug>/ranking.csv", ranking_csv, name="selection_ranking_csv"),
    path("selection/<slug:slug>/slots/", slots, name="selection_slots"),
    path("selection/<slug:slug>/decisions/", send_decisions, name="selection_send_decisions"),
    path("selection/applications/<int:pk>/", application, name="selection_application"),
    path("selection/applications/<int:pk>/reviewers/", assign, name="selection_assign"),
    path("selection/applications/<int:pk>/invite/", invite, name="selection_invite"),
    path("selection/applications/<int:pk>/decision/", decide, name="selection_decide"),
    path("selection/slots/<int:pk>/delete/", slot_delete, name="selection_slot_delete"),
    path("applications/<int:pk>/interview/", interview_booking, name="interview_booking"),
    path("interviews/<int:pk>/invitation.ics", interview_ics, name="interview_ics"),
]
