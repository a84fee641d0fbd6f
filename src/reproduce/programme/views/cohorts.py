"""Pages of the cohorts: the officer's (cohort, admitting, sessions and attendance, participants,
grants and their payment, CSV export) and the participant's (my cohort, convention, de minimis
declaration, grants and receipts).

Officers hold ``programme.view`` to read and ``programme.manage`` to change; the network role is
checked first (403), then the object is looked up among what the actor may see (404). A
participant reaches only their own record (``visible_to``: someone else's answers 404). Opening
a participant's record or exporting the grants is an access to applications' personal data and
is written to the audit log (``record_access``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from defusedcsv import csv as defusedcsv
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.designs.edit_views import run_once, show_refusal
from reproduce.files.http import blob_response
from reproduce.network.models import Site
from reproduce.programme.access import record_access
from reproduce.programme.forms_cohorts import (
    AdmitForm,
    AidFormSet,
    AttendanceSheetForm,
    ConventionForm,
    DecideGrantForm,
    DeMinimisForm,
    EmploymentForm,
    GrantRequestForm,
    PayGrantForm,
    ReceiptForm,
    SessionForm,
)
from reproduce.programme.models import (
    Application,
    ApplicationChoice,
    ApplicationState,
    Attendance,
    Call,
    Cohort,
    DeMinimisDeclaration,
    EmploymentRecord,
    Grant,
    GrantKind,
    GrantReceipt,
    GrantState,
    Participant,
    Session,
)
from reproduce.programme.services import cohorts as services

VIEW, MANAGE = "programme.view", "programme.manage"
GRANT_ERRORS = {
    "over_ceiling": "amount",
    "over_receipts": "amount",
    "invalid_amount": "amount",
    "de_minimis_exceeded": "amount",
    "invalid_kind": "kind",
    "invalid_file": "file",
    "date_in_future": "dated",
}
PAY_ERRORS = {"reference_required": "reference", "date_in_future": "paid_on"}
EMPLOYMENT_ERRORS = {"date_in_future": "on", "invalid_fte": "fte"}
SESSION_ERRORS = {"title_required": "title"}


def _get(model: Any, actor: Actor, related: tuple[str, ...] = (), **lookup: Any) -> Any:
    """Like ``get_visible_or_404`` with the rows the page shows joined in."""
    try:
        return model.objects.visible_to(actor).select_related(*related).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _officer(request: HttpRequest, perm: str = VIEW) -> Actor:
    actor = request_actor(request)
    require(actor, perm)
    return actor


def _statement() -> str:
    return _(
        "I declare on my honour that the enterprise I represent has received, over the last "
        "three years, no de minimis aid other than the aid listed above, and I undertake to "
        "declare any new one. I know that de minimis aid may not exceed €300,000 over any "
        "period of three years for one enterprise (Regulation (EU) 2023/2831)."
    )


# ---------------------------------------------------------------- officer: cohorts


@access("network", perm=VIEW)
@login_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    actor = _officer(request)
    cohorts = Cohort.objects.visible_to(actor).select_related("call")
    calls = (
        Call.objects.visible_to(actor)
        .filter(applications__state=ApplicationState.ACCEPTED, cohort__isnull=True)
        .distinct()
    )
    return render(
        request,
        "programme/cohorts/list.html",
        {"cohorts": cohorts, "calls_without_cohort": calls},
    )


@access("network", perm=MANAGE, object="slug", model="programme.Call", methods=("POST",))
@login_required
@require_POST
def cohort_create(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _officer(request, MANAGE)
    call = get_visible_or_404(Call, actor, slug=slug)
    cohort = services.create_cohort(actor=actor, call=call)
    messages.success(request, _("The cohort and its plan of 32 sessions are ready."))
    return redirect("programme:cohort_detail", pk=cohort.pk)


def _admissible(actor: Actor, cohort: Cohort) -> QuerySet[Application]:
    first_choice = ApplicationChoice.objects.visible_to(actor).filter(rank=1)
    return (
        Application.objects.visible_to(actor)
        .filter(call_id=cohort.call_id, state=ApplicationState.ACCEPTED, participant__isnull=True)
        .prefetch_related(Prefetch("choices", queryset=first_choice, to_attr="first_choice"))
        .order_by("last_name", "first_name")
    )


@access("network", perm=VIEW, object="pk", model="programme.Cohort")
@login_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request)
    cohort = get_visible_or_404(Cohort, actor, pk=pk)
    call = cohort.call
    participants = list(services.participants_of(actor, cohort).select_related("de_minimis"))
    candidates = [
        (app, AdmitForm(call=call, preferred=_first_choice(app), prefix=f"a{app.pk}"))
        for app in _admissible(actor, cohort)
    ]
    sessions = cohort.sessions.select_related("place").order_by("number")
    return render(
        request,
        "programme/cohorts/detail.html",
        {
            "cohort": cohort,
            "call": call,
            "participants": participants,
            "candidates": candidates,
            "sessions": sessions,
            "can_manage": _can(actor, MANAGE),
        },
    )


def _first_choice(application: Application) -> Any:
    chosen = getattr(application, "first_choice", None) or []
    return chosen[0].fablab_id if chosen else None


def _can(actor: Actor, perm: str) -> bool:
    from reproduce.core.permissions import has_perm

    return has_perm(actor, perm)


@access("network", perm=MANAGE, object="pk", model="programme.Application", methods=("POST",))
@login_required
@require_POST
def cohort_admit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request, MANAGE)
    application = get_visible_or_404(Application, actor, pk=pk)
    record_access(actor, application, "admit")
    form = AdmitForm(request.POST, call=application.call, prefix=f"a{application.pk}")
    target = reverse("programme:cohort_list")
    if not form.is_valid():
        messages.error(request, _("Choose one of the call's host fablabs."))
        return redirect(target)
    try:
        participant = services.admit(
            actor=actor, application=application, host_fablab=form.cleaned_data["host_fablab"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        cohort = Cohort.objects.visible_to(actor).filter(call=application.call_id).first()
        return redirect("programme:cohort_detail", pk=cohort.pk) if cohort else redirect(target)
    messages.success(
        request,
        _("%(name)s takes part now, hosted by %(lab)s.")
        % {"name": participant, "lab": participant.host_fablab.name},
    )
    return redirect("programme:cohort_detail", pk=participant.cohort_id)


# ---------------------------------------------------------------- officer: sessions


def _sites_for(cohort: Cohort) -> QuerySet[Site]:
    labs = cohort.call.host_fablabs.values("pk")
    return (
        Site.objects.unscoped("the host fablabs' listed workshops, public in the network")
        .filter(organization__in=labs, is_listed=True)
        .order_by("name")
    )


@access("network", perm=MANAGE, object="pk", model="programme.Session")
@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request, MANAGE)
    session = _get(Session, actor, ("cohort__call",), pk=pk)
    initial = {
        "title": session.title,
        "starts_at": timezone.localtime(session.starts_at),
        "place": session.place_id,
    }
    form = SessionForm(request.POST or None, initial=initial, sites=_sites_for(session.cohort))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_session(actor=actor, session=session, values=form.cleaned_data)
        except ValidationError as exc:
            show_refusal(form, exc, SESSION_ERRORS)
        else:
            messages.success(request, _("The session is saved."))
            return redirect("programme:cohort_detail", pk=session.cohort_id)
    return render(
        request, "programme/cohorts/session_form.html", {"session": session, "form": form}
    )


@access("network", perm=MANAGE, object="pk", model="programme.Session")
@login_required
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request, MANAGE)
    session = _get(Session, actor, ("cohort",), pk=pk)
    participants = list(services.participants_of(actor, session.cohort))
    marked = dict(session.attendance.values_list("participant_id", "status"))
    initial = {f"p{pid}": status for pid, status in marked.items()}
    form = AttendanceSheetForm(request.POST or None, initial=initial, participants=participants)
    if request.method == "POST" and form.is_valid():
        services.record_attendance_sheet(actor=actor, session=session, statuses=form.statuses())
        messages.success(request, _("Attendance of S%(n)s saved.") % {"n": session.number})
        return redirect("programme:cohort_detail", pk=session.cohort_id)
    neighbours = {
        s.number: s.pk
        for s in session.cohort.sessions.filter(number__in=(session.number - 1, session.number + 1))
    }
    return render(
        request,
        "programme/cohorts/attendance.html",
        {
            "session": session,
            "form": form,
            "previous_pk": neighbours.get(session.number - 1),
            "next_pk": neighbours.get(session.number + 1),
        },
    )


# ---------------------------------------------------------------- officer: participants


@access("network", perm=VIEW, object="pk", model="programme.Participant")
@login_required
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request)
    participant = _get(
        Participant, actor, ("application", "cohort", "organization", "host_fablab"), pk=pk
    )
    record_access(actor, participant.application, "participant")
    figures = services.de_minimis_figures(participant)
    declaration = (
        DeMinimisDeclaration.objects.visible_to(actor)
        .filter(participant=participant)
        .prefetch_related("aids")
        .first()
    )
    return render(
        request,
        "programme/cohorts/participant.html",
        {
            "participant": participant,
            "declaration": declaration,
            "figures": figures,
            "grants": _grants_of(actor, participant),
            "attendance": _attendance_rows(participant),
            "employment": EmploymentRecord.objects.visible_to(actor).filter(
                participant=participant
            ),
            "employment_form": EmploymentForm(initial={"on": timezone.localdate()}),
            "can_manage": _can(actor, MANAGE),
        },
    )


def _grants_of(actor: Actor, participant: Participant) -> list[Grant]:
    return list(
        Grant.objects.visible_to(actor)
        .filter(participant=participant)
        .prefetch_related(
            Prefetch("receipts", queryset=GrantReceipt.objects.unscoped("of visible grants"))
        )
    )


def _attendance_rows(participant: Participant) -> list[tuple[Session, str | None]]:
    marked = dict(
        Attendance.objects.unscoped("attendance of one visible participant")
        .filter(participant=participant)
        .values_list("session_id", "status")
    )
    sessions = Session.objects.unscoped("sessions of the participant's cohort").filter(
        cohort_id=participant.cohort_id
    )
    return [(s, marked.get(s.pk)) for s in sessions.order_by("number")]


@access("network", perm=MANAGE, object="pk", model="programme.Participant", methods=("POST",))
@login_required
@require_POST
def participant_employment(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request, MANAGE)
    participant = get_visible_or_404(Participant, actor, pk=pk)
    form = EmploymentForm(request.POST)
    if form.is_valid():
        try:
            services.record_employment(actor=actor, participant=participant, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The jobs are recorded."))
    else:
        messages.error(request, _("Give a date and the full-time equivalents."))
    return redirect("programme:participant_detail", pk=participant.pk)


# ---------------------------------------------------------------- officer: grants


def _cohort_grants(actor: Actor, cohort: Cohort) -> QuerySet[Grant]:
    return (
        Grant.objects.visible_to(actor)
        .filter(participant__cohort=cohort)
        .select_related("participant__application", "participant__organization")
        .order_by("participant__application__last_name", "kind", "pk")
    )


@access("network", perm=VIEW, object="pk", model="programme.Cohort")
@login_required
def grant_list(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request)
    cohort = get_visible_or_404(Cohort, actor, pk=pk)
    grants = list(_cohort_grants(actor, cohort))
    near = _near_ceiling(grants)
    for grant in grants:  # shown next to the grant: the officer decides with the figures
        grant.de_minimis_near = near.get(grant.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "programme/cohorts/grants.html",
        {
            "cohort": cohort,
            "grants": grants,
            "totals": services.grant_totals(grants),
            "pay_form": PayGrantForm(initial={"paid_on": timezone.localdate()}),
            "can_manage": _can(actor, MANAGE),
        },
    )


def _near_ceiling(grants: list[Grant]) -> dict[int, services.DeMinimisFigures]:
    """The de minimis figures of the requested grants at 90 % of the ceiling or more."""
    near = {}
    for grant in grants:
        if grant.state == GrantState.REQUESTED:
            figures = services.de_minimis_figures(
                grant.participant, grant.amount, exclude_grant=grant.pk
            )
            if figures.near:
                near[grant.pk] = figures
    return near


@access("network", perm=VIEW, object="pk", model="programme.Cohort")
@login_required
def grant_export(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _officer(request)
    cohort = get_visible_or_404(Cohort, actor, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grants-cohort-{cohort.pk}.csv"'
    response.write("\ufeff")  # spreadsheets open UTF-8 with a BOM
    writer = defusedcsv.writer(response, lineterminator="\r\n")
    writer.writerow(
        [
            _("Participant"),
            _("Enterprise"),
            _("Enterprise number"),
            _("Grant"),
            _("Amount (EUR)"),
            _("Status"),
            _("Requested"),
            _("Approved"),
            _("Paid"),
            _("Payment reference"),
        ]
    )
    seen: set[int] = set()
    for grant in _cohort_grants(actor, cohort):
        participant = grant.participant
        if participant.application_id not in seen:  # an export is an access to the record
            seen.add(participant.application_id)
            record_access(actor, participant.application, "export")
        writer.writerow(
            [
                str(participant),
                participant.organization.name,
                participant.organization.enterprise_number,
                grant.get_kind_display(),
                f"{grant.amount:.2f}",
                grant.get_state_display(),
                _day(grant.requested_at),
                _day(grant.approved_at),
                _day(grant.paid_at),
                grant.payment_reference,
            ]
        )
    return response


def _day(moment: Any) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


def _grant_action(
    request: HttpRequest, pk: int, act: Callable[[Actor, Grant], str]
) -> HttpResponse:
    actor = _officer(request, MANAGE)
    grant = _get(Grant, actor, ("participant",), pk=pk)
    try:
        messages.success(request, act(actor, grant))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("programme:grant_list", pk=grant.participant.cohort_id)


@access("network", perm=MANAGE, object="pk", model="programme.Grant", methods=("POST",))
@login_required
@require_POST
def grant_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecideGrantForm(request.POST)

    def act(actor: Actor, grant: Grant) -> str:
        if not form.is_valid():
            raise ValidationError(_("Choose to approve or refuse."))
        if form.cleaned_data["decision"] == "approve":
            services.approve_grant(actor=actor, grant=grant)
            return _("The grant is approved.")
        services.refuse_grant(actor=actor, grant=grant, reason=form.cleaned_data["reason"])
        return _("The grant is refused.")

    return _grant_action(request, pk, act)


@access("network", perm=MANAGE, object="pk", model="programme.Grant", methods=("POST",))
@login_required
@require_POST
def grant_pay(request: HttpRequest, pk: int) -> HttpResponse:
    form = PayGrantForm(request.POST)

    def act(actor: Actor, grant: Grant) -> str:
        if not form.is_valid():
            raise ValidationError(_("Give the payment reference."))
        services.pay_grant(
            actor=actor,
            grant=grant,
            reference=form.cleaned_data["reference"],
            paid_on=form.cleaned_data.get("paid_on"),
        )
        return _("The payment is recorded.")

    return _grant_action(request, pk, act)


@access("authenticated", object="pk", model="programme.GrantReceipt")
@login_required
def receipt_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A receipt, for the participant who uploaded it and the officers."""
    actor = request_actor(request)
    receipt = _get(GrantReceipt, actor, ("blob", "grant__participant__application"), pk=pk)
    application = receipt.grant.participant.application
    if application.applicant_id != actor.user_id:
        record_access(actor, application, "document")
    return blob_response(receipt.blob, receipt.filename, inline=True)


# ---------------------------------------------------------------- the participant


def _own(request: HttpRequest, pk: int) -> tuple[Actor, Participant]:
    """The actor's own participation; anyone else's (officers' included) answers 404 here:
    these pages sign and declare for the participant."""
    actor = request_actor(request)
    participant = _get(
        Participant, actor, ("application", "cohort__call", "host_fablab", "organization"), pk=pk
    )
    if participant.application.applicant_id != actor.user_id:
        raise Http404
    return actor, participant


@access("authenticated")
@login_required
def my_cohorts(request: HttpRequest) -> HttpResponse:
    participations = list(services.mine(request_actor(request)))
    if len(participations) == 1:
        return redirect("programme:my_cohort", pk=participations[0].pk)
    return render(request, "programme/cohorts/my_list.html", {"participations": participations})


@access("authenticated", object="pk", model="programme.Participant")
@login_required
def my_cohort(request: HttpRequest, pk: int) -> HttpResponse:
    actor, participant = _own(request, pk)
    declaration = (
        DeMinimisDeclaration.objects.visible_to(actor).filter(participant=participant).first()
    )
    grants = _grants_of(actor, participant)
    return render(
        request,
        "programme/cohorts/my_cohort.html",
        {
            "participant": participant,
            "cohort": participant.cohort,
            "declaration": declaration,
            "attendance": _attendance_rows(participant),
            "grants": grants,
            "totals": services.grant_totals(grants),
            "has_base": any(
                g.kind == GrantKind.BASE and g.state != GrantState.REFUSED for g in grants
            ),
        },
    )


@access("authenticated", object="pk", model="programme.Participant", methods=("GET", "POST"))
@login_required
def my_convention(request: HttpRequest, pk: int) -> HttpResponse:
    actor, participant = _own(request, pk)
    form = ConventionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.sign_convention(actor=actor, participant=participant)
        messages.success(request, _("You signed the group convention. Thank you!"))
        return redirect("programme:my_cohort", pk=participant.pk)
    return render(
        request, "programme/cohorts/convention.html", {"participant": participant, "form": form}
    )


def _aid_initial(declaration: DeMinimisDeclaration | None) -> list[dict[str, Any]]:
    if declaration is None:
        return []
    return [
        {
            "granted_on": a.granted_on,
            "grantor": a.grantor,
            "amount": a.amount,
            "description": a.description,
        }
        for a in declaration.aids.all()
    ]


@access("authenticated", object="pk", model="programme.Participant", methods=("GET", "POST"))
@login_required
def my_de_minimis(request: HttpRequest, pk: int) -> HttpResponse:
    actor, participant = _own(request, pk)
    declaration = (
        DeMinimisDeclaration.objects.visible_to(actor).filter(participant=participant).first()
    )
    data = request.POST if request.method == "POST" else None
    form = DeMinimisForm(data)
    aids = AidFormSet(data, initial=_aid_initial(declaration), prefix="aid")
    if request.method == "POST" and form.is_valid() and aids.is_valid():
        rows = [f.cleaned_data for f in aids.forms if f.cleaned_data and f.has_changed()]
        rows = [r for r in rows if not r.get("DELETE")]
        try:
            services.declare_de_minimis(
                actor=actor, participant=participant, aids=rows, statement=_statement()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your de minimis declaration is signed."))
            return redirect("programme:my_cohort", pk=participant.pk)
    return render(
        request,
        "programme/cohorts/de_minimis.html",
        {
            "participant": participant,
            "declaration": declaration,
            "form": form,
            "aids": aids,
            "statement": _statement(),
            "since": services.three_years_before(timezone.localdate()) + timedelta(days=1),
        },
    )


@access("authenticated", object="pk", model="programme.Participant", methods=("GET", "POST"))
@login_required
def my_grant_request(request: HttpRequest, pk: int) -> HttpResponse:
    actor, participant = _own(request, pk)
    form = GrantRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def action() -> str:
            grant = services.request_grant(
                actor=actor, participant=participant, kind=data["kind"], amount=data["amount"]
            )
            if data["kind"] == GrantKind.MATERIALS:
                upload = data["file"]
                services.add_receipt(
                    actor=actor,
                    grant=grant,
                    upload=upload,
                    filename=upload.name,
                    amount=data["receipt_amount"],
                    dated=data["dated"],
                    supplier=data["supplier"],
                )
            messages.success(request, _("Your request is sent to the programme team."))
            return reverse("programme:my_cohort", kwargs={"pk": participant.pk})

        try:
            return run_once(request, data.get("form_token", ""), action)
        except ValidationError as exc:
            _show_grant_refusal(form, exc)
    return render(
        request,
        "programme/cohorts/grant_request.html",
        {"participant": participant, "form": form},
    )


def _show_grant_refusal(form: Any, exc: ValidationError) -> None:
    code = str(getattr(exc, "code", "") or "")
    if code == "date_in_future":
        form.add_error("dated", exc)
    else:
        show_refusal(form, exc, GRANT_ERRORS)


@access("authenticated", object="pk", model="programme.Grant", methods=("GET", "POST"))
@login_required
def grant_receipt_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Another receipt for a materials grant (the participant, or an officer for them)."""
    actor = request_actor(request)
    grant = _get(Grant, actor, ("participant__application",), pk=pk)
    own = grant.participant.application.applicant_id == actor.user_id
    if not own:
        require(actor, MANAGE)
    form = ReceiptForm(request.POST or None, request.FILES or None)
    back = (
        reverse("programme:my_cohort", kwargs={"pk": grant.participant_id})
        if own
        else reverse("programme:grant_list", kwargs={"pk": grant.participant.cohort_id})
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def action() -> str:
            services.add_receipt(
                actor=actor,
                grant=grant,
                upload=data["file"],
                filename=data["file"].name,
                amount=data["receipt_amount"],
                dated=data["dated"],
                supplier=data["supplier"],
            )
            messages.success(request, _("The receipt is added."))
            return back

        try:
            return run_once(request, data.get("form_token", ""), action)
        except ValidationError as exc:
            show_refusal(
                form,
                exc,
                {
                    "invalid_file": "file",
                    "invalid_amount": "receipt_amount",
                    "date_in_future": "dated",
                },
            )
    return render(
        request,
        "programme/cohorts/receipt_form.html",
        {"grant": grant, "form": form, "back": back},
    )


urlpatterns = [
    path("cohorts/", cohort_list, name="cohort_list"),
    path("calls/<slug:slug>/cohort/", cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", cohort_detail, name="cohort_detail"),
    path("cohorts/<int:pk>/grants/", grant_list, name="grant_list"),
    path("cohorts/<int:pk>/grants.csv", grant_export, name="grant_export"),
    path("cohort-applications/<int:pk>/admit/", cohort_admit, name="cohort_admit"),
    path("sessions/<int:pk>/", session_edit, name="session_edit"),
    path("sessions/<int:pk>/attendance/", session_attendance, name="session_attendance"),
    path("participants/<int:pk>/", participant_detail, name="participant_detail"),
    path(
        "participants/<int:pk>/employment/", participant_employment, name="participant_employment"
    ),
    path("grants/<int:pk>/decide/", grant_decide, name="grant_decide"),
    path("grants/<int:pk>/pay/", grant_pay, name="grant_pay"),
    path("grants/<int:pk>/receipts/", grant_receipt_add, name="grant_receipt_add"),
    path("receipts/<int:pk>/", receipt_download, name="receipt_download"),
    path("my/cohorts/", my_cohorts, name="my_cohorts"),
    path("my/cohorts/<int:pk>/", my_cohort, name="my_cohort"),
    path("my/cohorts/<int:pk>/convention/", my_convention, name="my_convention"),
    path("my/cohorts/<int:pk>/de-minimis/", my_de_minimis, name="my_de_minimis"),
    path("my/cohorts/<int:pk>/grants/new/", my_grant_request, name="my_grant_request"),
]
