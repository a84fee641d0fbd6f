"""Cohorts: the session plan, admitting selected applicants, the convention, the de minimis
declaration, attendance, employment follow-ups and grants.

Who may do what is checked here as well as in the views: officers (``programme.manage``) run the
cohort and decide on grants; a participant acts only on their own record (the convention, the
de minimis declaration, asking for a grant, uploading receipts). Every write is one transaction
with an audit event; refusals are :class:`ProgrammeError` with a stable code.

De minimis (Regulation (EU) 2023/2831): one enterprise may receive at most €300,000 of de
minimis aid over any period of three years. The figures are keyed on the participant's
``enterprise_key`` across every cohort, so an enterprise taking part twice is one undertaking.
The arithmetic is the pure function :func:`de_minimis_peak` (no database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from reproduce.accounts.models import Membership, Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import OrgRole, require
from reproduce.core.sanitize import plain_text
from reproduce.core.validators import normalize_enterprise_number
from reproduce.programme.models import (
    PHASE_OF_SESSION,
    Application,
    ApplicationState,
    Attendance,
    AttendanceStatus,
    Call,
    Cohort,
    DeclaredAid,
    DeMinimisDeclaration,
    EmploymentRecord,
    Grant,
    GrantKind,
    GrantReceipt,
    GrantState,
    Participant,
    ParticipantState,
    Session,
    SessionPhase,
)
from reproduce.programme.services import ProgrammeError

MANAGE = "programme.manage"
SESSION_COUNT = 32
SESSION_TIME = time(9, 30)  # the plan's default hour; the officer edits each session
BASE_GRANT = Decimal("1000.00")
MATERIALS_CEILING = Decimal("500.00")
DE_MINIMIS_CEILING = Decimal("300000.00")
DE_MINIMIS_WARNING = Decimal("0.90")  # from 90 % of the ceiling the officer is warned
ZERO = Decimal("0.00")
# Receipts are documents or photos of them, checked by content like the designs library.
RECEIPT_KINDS = frozenset({"pdf", "png", "jpeg", "webp"})
# Live grants: everything but a refusal counts towards the ceilings.
LIVE_GRANT_STATES = (GrantState.REQUESTED, GrantState.APPROVED, GrantState.PAID)
# Participants are always on the legal-form side of "artisan" unless their legal form says a
# company (Belgian forms in FR/NL/DE abbreviations).
COMPANY_FORMS = frozenset(
    {"srl", "sprl", "sa", "sc", "scrl", "snc", "scs", "bv", "bvba", "nv", "cv", "cvba", "vof",
     "commv", "gmbh", "ag", "asbl", "vzw"}
)  # fmt: skip

PHASE_TITLES = {
    SessionPhase.BOOTCAMP: gettext_noop("Bootcamp: meeting, tools, eco-design"),
    SessionPhase.IDEATION: gettext_noop("Ideation and thematic workshop"),
    SessionPhase.PROTOTYPING: gettext_noop("Development and prototyping"),
    SessionPhase.COMMERCIALISATION: gettext_noop("Commercialisation"),
    SessionPhase.PRODUCTION: gettext_noop("Production"),
    SessionPhase.WRAP_UP: gettext_noop("Wrap-up, lessons learnt and next steps"),
}

CONVENTION_VERSION = "2025-1"


# ---------------------------------------------------------------- guards


def _require_officer(actor: Actor) -> None:
    require(actor, MANAGE)


def _require_own(actor: Actor, participant: Participant) -> None:
    """Only the participant themself signs and declares (an officer cannot sign for them)."""
    if actor.user_id is None or participant.application.applicant_id != actor.user_id:
        raise PermissionDenied(_("Only the participant can do this."))


def _require_own_or_officer(actor: Actor, participant: Participant) -> None:
    if actor.user_id is not None and participant.application.applicant_id == actor.user_id:
        if not actor.allows_scope("write"):
            raise PermissionDenied(_("A read-only token cannot change anything."))
        return
    _require_officer(actor)


def _today() -> date:
    return timezone.localdate()


def _money(value: Any, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0:
        raise ProgrammeError(
            _("Enter an amount in euros greater than zero."), "invalid_amount", field
        )
    return amount


def euros(value: Decimal) -> str:
    """€1,234.50 — figures in messages, language-neutral enough for FR/NL/EN readers."""
    return f"€{value:,.2f}"


# ---------------------------------------------------------------- cohort and plan


def _session_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, SESSION_TIME))


@transaction.atomic
def create_cohort(*, actor: Actor, call: Call, name: str = "") -> Cohort:
    """The call's cohort with the plan S1–S32, one session a week from the call's start.

    Titles and dates are a starting point: the officer edits each session (:func:`update_session`).
    Creating it again returns the existing cohort (the plan is not duplicated).
    """
    _require_officer(actor)
    existing = Cohort.objects.unscoped("the call's one cohort").filter(call=call).first()
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    cohort = Cohort.objects.create(
        call=call,
        name=plain_text(name)[:150] or call.text("title")[:150],
        starts_on=call.starts_on,
        ends_on=call.ends_on,
    )
    Session.objects.bulk_create(
        Session(
            cohort=cohort,
            number=n,
            phase=PHASE_OF_SESSION[n],
            starts_at=_session_start(call.starts_on + timedelta(weeks=n - 1)),
            title=f"S{n} · {_(PHASE_TITLES[PHASE_OF_SESSION[n]])}"[:200],
        )
        for n in range(1, SESSION_COUNT + 1)
    )
    audit.record(
        actor=actor,
        action="cohort.created",
        obj=cohort,
        changes={"call": call.pk, "sessions": SESSION_COUNT, "starts_on": call.starts_on},
    )
    return cohort


@transaction.atomic
def update_session(*, actor: Actor, session: Session, values: Mapping[str, Any]) -> Session:
    """Change a session's title, start or place (``title``, ``starts_at``, ``place``)."""
    _require_officer(actor)
    fields = ["title", "starts_at", "place"]
    before = audit.snapshot(session, fields)
    if "title" in values:
        title = plain_text(str(values["title"] or "")).strip()
        if not title:
            raise ProgrammeError(_("Give the session a title."), "title_required", "title")
        session.title = title[:200]
    if values.get("starts_at") is not None:
        session.starts_at = values["starts_at"]
    if "place" in values:
        session.place = values["place"]
    session.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="session.updated",
        obj=session,
        changes=audit.diff(before, audit.snapshot(session, fields)),
    )
    return session


# ---------------------------------------------------------------- admitting participants


def enterprise_key_of(application: Application) -> str:
    """The enterprise number (``0123.456.789``) or ``person:<reference>`` for a person without
    an enterprise yet: RCO01/RCO04 count each key once, across cohorts."""
    if application.enterprise_number and not application.is_future_entrepreneur:
        try:
            return normalize_enterprise_number(application.enterprise_number)
        except ValidationError as exc:
            raise ProgrammeError(
                _("The enterprise number of %(ref)s is not valid: correct it before admitting.")
                % {"ref": application.reference},
                "invalid_enterprise_number",
                "enterprise_number",
            ) from exc
    return f"person:{application.reference}"


def is_new_enterprise(application: Application, call: Call) -> bool:
    """RCO05: a future entrepreneur, or an enterprise created on or after the start."""
    if application.is_future_entrepreneur or not application.enterprise_number:
        return True
    created = application.enterprise_created_on
    return created is not None and created >= call.starts_on


def _organization_kind(application: Application) -> str:
    form = slugify(application.legal_form).replace("-", "")
    return Organization.Kind.SME if form in COMPANY_FORMS else Organization.Kind.ARTISAN


def _unique_org_slug(name: str) -> str:
    base = slugify(name)[:70] or "organisation"
    candidate, n = base, 2
    while Organization.objects.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _enterprise_organization(application: Application, key: str) -> tuple[Organization, bool]:
    """The enterprise's organisation, found by its number or created; (org, created)."""
    if not key.startswith("person:"):
        found = Organization.objects.filter(enterprise_number=key).first()
        if found is not None:
            return found, False
    future = key.startswith("person:")
    name = (
        application.full_name or application.reference
        if future
        else application.enterprise_name or application.full_name or application.reference
    )
    organization = Organization(
        name=plain_text(name)[:150],
        legal_name="" if future else plain_text(application.enterprise_name)[:200],
        slug=_unique_org_slug(name),
        kind=_organization_kind(application),
        enterprise_number="" if future else key,
        email=application.email,
        postcode=application.postcode,
        # There is no "future entrepreneur" field on organisations: the description says it,
        # and the participant's enterprise_key ("person:…") is what the indicators read.
        description=_("Future entrepreneur taking part in the ReProduce accompaniment.")
        if future
        else "",
        is_demo=application.call.is_demo,
    )
    organization.save()
    return organization, True


def _grant_membership(user: Any, organization: Organization, role: str) -> str | None:
    """Add ``user`` to ``organization`` with ``role`` unless already a member (the existing
    role is kept: admitting never lowers nor raises a role someone already has)."""
    existing = (
        Membership.objects.owned_by(organization).filter(user=user).values_list("role", flat=True)
    )
    if existing:
        return None
    Membership.objects.create(user=user, organization=organization, role=role)
    return role


def _enterprise_role(organization: Organization, created: bool) -> str | None:
    """Owner of a new organisation, or of an existing one that has no owner yet. An existing
    organisation with owners is theirs to open: its owners invite the participant (an
    enterprise number typed in a form proves nothing about who runs the enterprise)."""
    if created:
        return OrgRole.OWNER
    owners = Membership.objects.owned_by(organization).filter(role=OrgRole.OWNER)
    return None if owners.exists() else OrgRole.OWNER


def _check_admissible(application: Application, host_fablab: Organization) -> Call:
    call = application.call
    if application.state != ApplicationState.ACCEPTED:
        raise ProgrammeError(
            _("Only a selected application can join the cohort."), "not_accepted", "application"
        )
    if application.applicant_id is None:
        raise ProgrammeError(
            _("This application has no applicant account any more."), "no_applicant"
        )
    if not call.host_fablabs.filter(pk=host_fablab.pk).exists():
        raise ProgrammeError(
            _("%(lab)s is not a host fablab of this call.") % {"lab": host_fablab.name},
            "not_host_fablab",
            "host_fablab",
        )
    if Participant.objects.unscoped("existence test").filter(application=application).exists():
        raise ProgrammeError(_("This applicant already takes part."), "already_participant")
    return call


@transaction.atomic
def admit(*, actor: Actor, application: Application, host_fablab: Organization) -> Participant:
    """Make a selected applicant a participant of the call's cohort (created if needed).

    The enterprise gets its organisation on the platform (found by its enterprise number, else
    created; a future entrepreneur gets one named after them) with the applicant as owner, and
    the applicant gets access to the host fablab.
    """
    _require_officer(actor)
    call = _check_admissible(application, host_fablab)
    cohort = create_cohort(actor=actor, call=call)
    taken = Participant.objects.unscoped("places left").filter(cohort=cohort).count()
    if taken >= call.places:
        raise ProgrammeError(
            _("The cohort is full (%(places)s places).") % {"places": call.places}, "cohort_full"
        )
    key = enterprise_key_of(application)
    organization, created = _enterprise_organization(application, key)
    applicant = application.applicant
    role = _enterprise_role(organization, created)
    enterprise_role = _grant_membership(applicant, organization, role) if role else None
    # Host fablab access: the "operator" role of the fablab. It is what a fablab gives the
    # makers it hosts: they see its private sites and machines, book machine time (the
    # programme pays the host fablab for workspace and machine access, so the bookings are the
    # fablab's, made while it is their active organisation), declare skills that the fablab's
    # managers validate (needed for machines that require a trained operator) and work on the
    # shop floor. "viewer" would not let them book; "manager" would let them edit the fablab.
    fablab_role = _grant_membership(applicant, host_fablab, OrgRole.OPERATOR)
    participant = Participant.objects.create(
        cohort=cohort,
        application=application,
        organization=organization,
        host_fablab=host_fablab,
        enterprise_key=key,
        is_new_enterprise=is_new_enterprise(application, call),
        baseline_fte=application.fte or ZERO,
    )
    audit.record(
        actor=actor,
        action="participant.admitted",
        obj=participant,
        organization_id=organization.pk,
        changes={
            "application": application.reference,
            "organization": organization.pk,
            "organization_created": created,
            "enterprise_role": enterprise_role,
            "host_fablab": host_fablab.pk,
            "host_fablab_role": fablab_role,
            "enterprise_key": key,
        },
    )
    return participant


@transaction.atomic
def set_participant_state(
    *, actor: Actor, participant: Participant, state: ParticipantState
) -> Participant:
    """Mark a participant as having completed the accompaniment or left the cohort."""
    _require_officer(actor)
    before = participant.state
    participant.state = state
    participant.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="participant.state",
        obj=participant,
        changes={"state": [before, str(state)]},
    )
    return participant


# ---------------------------------------------------------------- convention


@transaction.atomic
def sign_convention(*, actor: Actor, participant: Participant) -> Participant:
    """The participant signs the group convention (once; signing again changes nothing)."""
    _require_own(actor, participant)
    if participant.convention_signed_at is not None:
        return participant
    now = timezone.now()
    updated = (
        Participant.objects.unscoped("conditional update of one known participant")
        .filter(pk=participant.pk, convention_signed_at__isnull=True)
        .update(convention_signed_at=now, convention_signed_by=actor.user)
    )
    if updated:
        participant.convention_signed_at, participant.convention_signed_by = now, actor.user
        audit.record(
            actor=actor,
            action="participant.convention_signed",
            obj=participant,
            changes={"version": CONVENTION_VERSION, "signed_at": now},
        )
    else:
        participant.refresh_from_db(fields=["convention_signed_at", "convention_signed_by"])
    return participant


# ---------------------------------------------------------------- de minimis


@dataclass(frozen=True)
class Aid:
    """An amount of de minimis aid on a date (declared elsewhere or granted here)."""

    on: date
    amount: Decimal


@dataclass(frozen=True)
class DeMinimisFigures:
    """The worst three-year window containing the new aid, with the new aid included."""

    total: Decimal  # in that window, the new aid included
    window_start: date  # first day of that window
    window_end: date  # last day
    ceiling: Decimal

    @property
    def exceeded(self) -> bool:
        return self.total > self.ceiling

    @property
    def ratio(self) -> Decimal:
        return self.total / self.ceiling if self.ceiling else Decimal(0)

    @property
    def near(self) -> bool:
        """From 90 % of the ceiling the officer is warned."""
        return self.ratio >= DE_MINIMIS_WARNING

    @property
    def room(self) -> Decimal:
        return max(self.ceiling - self.total, ZERO)


def three_years_before(day: date) -> date:
    """The same day three years earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 3)
    except ValueError:
        return day.replace(year=day.year - 3, day=28)


def de_minimis_peak(
    aids: Iterable[Aid], new: Aid, ceiling: Decimal = DE_MINIMIS_CEILING
) -> DeMinimisFigures:
    """The largest total of ``aids`` + ``new`` over the three-year windows containing ``new``.

    A window is the three years ending on a day ``d``: the aid dated after
    ``three_years_before(d)`` and up to ``d`` (so an aid exactly three years older than ``d`` has
    left it). Windows containing ``new.on`` end between ``new.on`` and just under three years
    later; the total only grows when an aid enters, so ``new.on`` and the later aid dates are
    the only ends to try. Pure: no database, no clock.
    """
    others = [a for a in aids if a.amount > 0]
    ends = {new.on} | {a.on for a in others if a.on > new.on and three_years_before(a.on) < new.on}
    best: DeMinimisFigures | None = None
    for end in sorted(ends):
        start = three_years_before(end)
        total = new.amount + sum((a.amount for a in others if start < a.on <= end), Decimal(0))
        if best is None or total > best.total:
            best = DeMinimisFigures(total, start + timedelta(days=1), end, ceiling)
    assert best is not None
    return best


def enterprise_aids(enterprise_key: str, *, exclude_grant: int | None = None) -> list[Aid]:
    """Every de minimis aid known for the enterprise: declared aids of all its participations
    (the same aid declared in two cohorts counts once) and the live grants of the programme
    (dated when approved, else when requested)."""
    declared = (
        DeclaredAid.objects.unscoped("de minimis figures of one enterprise, all cohorts")
        .filter(declaration__participant__enterprise_key=enterprise_key)
        .values_list("granted_on", "grantor", "amount")
    )
    seen = {(on, grantor.strip().lower(), amount) for on, grantor, amount in declared}
    aids = [Aid(on, amount) for on, _grantor, amount in seen]
    grants = (
        Grant.objects.unscoped("de minimis figures of one enterprise, all cohorts")
        .filter(participant__enterprise_key=enterprise_key, state__in=LIVE_GRANT_STATES)
        .exclude(pk=exclude_grant)
        .values_list("amount", "approved_at", "requested_at")
    )
    for amount, approved_at, requested_at in grants:
        aids.append(Aid(timezone.localdate(approved_at or requested_at), amount))
    return aids


def de_minimis_figures(
    participant: Participant,
    amount: Decimal = ZERO,
    *,
    on: date | None = None,
    exclude_grant: int | None = None,
) -> DeMinimisFigures:
    """The enterprise's worst window if ``amount`` were granted on ``on`` (today)."""
    aids = enterprise_aids(participant.enterprise_key, exclude_grant=exclude_grant)
    return de_minimis_peak(aids, Aid(on or _today(), amount))


def _check_de_minimis(participant: Participant, amount: Decimal, exclude: int | None) -> None:
    figures = de_minimis_figures(participant, amount, exclude_grant=exclude)
    if figures.exceeded:
        error = ProgrammeError(
            _(
                "This grant would bring the de minimis aid of the enterprise to %(total)s "
                "between %(start)s and %(end)s, over the ceiling of %(ceiling)s over three "
                "years (EU 2023/2831). Room left: %(room)s."
            )
            % {
                "total": euros(figures.total),
                "start": figures.window_start.isoformat(),
                "end": figures.window_end.isoformat(),
                "ceiling": euros(figures.ceiling),
                "room": euros(figures.ceiling - (figures.total - amount)),
            },
            "de_minimis_exceeded",
            "amount",
        )
        error.figures = figures  # type: ignore[attr-defined]  # the API returns them
        raise error


def _clean_aid(raw: Mapping[str, Any], today: date) -> DeclaredAid:
    granted_on = raw.get("granted_on")
    if not isinstance(granted_on, date):
        raise ProgrammeError(_("Give the date of each aid."), "date_required", "aids")
    if granted_on > today:
        raise ProgrammeError(
            _("The aid of %(date)s is dated in the future: declare aid already received.")
            % {"date": granted_on.isoformat()},
            "date_in_future",
            "aids",
        )
    grantor = plain_text(str(raw.get("grantor") or "")).strip()
    if not grantor:
        raise ProgrammeError(_("Say who granted each aid."), "grantor_required", "aids")
    return DeclaredAid(
        granted_on=granted_on,
        grantor=grantor[:200],
        amount=_money(raw.get("amount"), "aids"),
        description=plain_text(str(raw.get("description") or ""))[:300],
    )


@transaction.atomic
def declare_de_minimis(
    *,
    actor: Actor,
    participant: Participant,
    aids: Sequence[Mapping[str, Any]],
    statement: str,
) -> DeMinimisDeclaration:
    """The participant's sworn statement of the de minimis aid received in the last three years
    (``aids``: dicts with ``granted_on``, ``grantor``, ``amount``, ``description``).

    Declaring again replaces the list (new aid received since): the statement is signed again
    and the audit log keeps the previous one.
    """
    _require_own(actor, participant)
    statement = plain_text(statement).strip()
    if not statement:
        raise ProgrammeError(
            _("Tick the statement to sign the declaration."), "statement_required", "statement"
        )
    today = _today()
    rows = [_clean_aid(raw, today) for raw in aids]
    declaration = (
        DeMinimisDeclaration.objects.unscoped("the participant's one declaration")
        .filter(participant=participant)
        .first()
    )
    previous = None
    if declaration is None:
        declaration = DeMinimisDeclaration(participant=participant)
    else:
        previous = [
            [a.granted_on, a.grantor, a.amount] for a in declaration.aids.order_by("granted_on")
        ]
        declaration.aids.all().delete()
    declaration.signed_at = timezone.now()
    declaration.signed_by = actor.user
    declaration.statement = statement
    declaration.save()
    for row in rows:
        row.declaration = declaration
    DeclaredAid.objects.bulk_create(rows)
    audit.record(
        actor=actor,
        action="participant.de_minimis_signed",
        obj=declaration,
        changes={
            "participant": participant.pk,
            "aids": [[r.granted_on, r.grantor, r.amount] for r in rows],
            "previous": previous,
        },
    )
    return declaration


# ---------------------------------------------------------------- attendance and employment


def _check_same_cohort(session: Session, participant: Participant) -> None:
    if session.cohort_id != participant.cohort_id:
        raise ProgrammeError(
            _("%(who)s is not in this session's cohort.") % {"who": participant},
            "other_cohort",
            "participant",
        )


def _set_attendance(session: Session, participant: Participant, status: str) -> bool:
    if status not in AttendanceStatus.values:
        raise ProgrammeError(_("Choose present, excused or absent."), "invalid_status", "status")
    _check_same_cohort(session, participant)
    row, created = Attendance.objects.unscoped("one row by its unique key").get_or_create(
        session=session, participant=participant, defaults={"status": status}
    )
    if created or row.status == status:
        return created
    row.status = status
    row.save(update_fields=["status"])
    return True


@transaction.atomic
def record_attendance(
    *, actor: Actor, session: Session, participant: Participant, status: str
) -> None:
    """Mark one participant present, excused or absent at a session (again: corrects it)."""
    _require_officer(actor)
    if _set_attendance(session, participant, status):
        audit.record(
            actor=actor,
            action="session.attendance",
            obj=session,
            changes={str(participant.pk): status},
        )


@transaction.atomic
def record_attendance_sheet(
    *, actor: Actor, session: Session, statuses: Mapping[Participant, str]
) -> int:
    """The whole sheet of a session at once (one page, one transaction); returns the changes."""
    _require_officer(actor)
    changed = {
        str(p.pk): status for p, status in statuses.items() if _set_attendance(session, p, status)
    }
    if changed:
        audit.record(actor=actor, action="session.attendance", obj=session, changes=changed)
    return len(changed)


@transaction.atomic
def record_employment(
    *, actor: Actor, participant: Participant, on: date, fte: Any, note: str = ""
) -> EmploymentRecord:
    """Jobs of the participant's enterprise at a date (RCR01 compares them to the baseline)."""
    _require_officer(actor)
    if on > _today():
        raise ProgrammeError(
            _("The date is in the future: record the jobs as they are."), "date_in_future", "on"
        )
    try:
        value = Decimal(str(fte)).quantize(Decimal("0.01"))
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > 9999:
        raise ProgrammeError(
            _("Enter the full-time equivalents as a number, 0 or more."), "invalid_fte", "fte"
        )
    record = EmploymentRecord.objects.create(
        participant=participant,
        on=on,
        fte=value,
        note=plain_text(note)[:300],
        recorded_by=actor.user,
    )
    audit.record(
        actor=actor,
        action="participant.employment",
        obj=record,
        changes={"participant": participant.pk, "on": on, "fte": value},
    )
    return record


# ---------------------------------------------------------------- grants


def _live_total(participant: Participant, kind: str, exclude: int | None = None) -> Decimal:
    total = (
        Grant.objects.unscoped("ceiling of one participant")
        .filter(participant=participant, kind=kind, state__in=LIVE_GRANT_STATES)
        .exclude(pk=exclude)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or ZERO


def _check_ceiling(participant: Participant, kind: str, amount: Decimal, exclude: int | None):  # type: ignore[no-untyped-def]
    if kind == GrantKind.BASE:
        if _live_total(participant, kind, exclude) > 0:
            raise ProgrammeError(
                _("The participation grant is given once per participant."), "already_requested"
            )
        if amount > BASE_GRANT:
            raise ProgrammeError(
                _("The participation grant is at most %(max)s.") % {"max": euros(BASE_GRANT)},
                "over_ceiling",
                "amount",
            )
        return
    used = _live_total(participant, kind, exclude)
    if used + amount > MATERIALS_CEILING:
        raise ProgrammeError(
            _(
                "Materials are covered up to %(max)s in total; %(used)s is already asked or "
                "granted, so at most %(left)s is left."
            )
            % {
                "max": euros(MATERIALS_CEILING),
                "used": euros(used),
                "left": euros(max(MATERIALS_CEILING - used, ZERO)),
            },
            "over_ceiling",
            "amount",
        )


def _check_receipts(grant: Grant) -> None:
    if grant.kind != GrantKind.MATERIALS:
        return
    covered = grant.receipts.aggregate(total=Sum("amount"))["total"] or ZERO
    if grant.amount > covered:
        raise ProgrammeError(
            _(
                "The receipts uploaded add up to %(covered)s: the materials grant cannot be more "
                "(%(amount)s asked). Upload the missing receipts first."
            )
            % {"covered": euros(covered), "amount": euros(grant.amount)},
            "over_receipts",
            "amount",
        )


@transaction.atomic
def request_grant(
    *, actor: Actor, participant: Participant, kind: str, amount: Any = None, note: str = ""
) -> Grant:
    """Ask for the participation grant (€1,000, once) or for materials (up to €500 in all, paid
    on receipts). The participant or an officer asks; an officer approves."""
    _require_own_or_officer(actor, participant)
    if kind not in GrantKind.values:
        raise ProgrammeError(_("Unknown kind of grant."), "invalid_kind", "kind")
    if participant.state != ParticipantState.ACTIVE:
        raise ProgrammeError(_("Only a participant taking part can receive a grant."), "not_active")
    value = _money(BASE_GRANT if amount in (None, "") and kind == GrantKind.BASE else amount)
    # Lock the participant's row so two requests cannot both pass the ceiling (PostgreSQL;
    # on SQLite the write lock of this UPDATE serialises them).
    Participant.objects.unscoped("lock one participant").filter(pk=participant.pk).update(
        state=participant.state
    )
    _check_ceiling(participant, kind, value, None)
    _check_de_minimis(participant, value, None)
    grant = Grant.objects.create(
        participant=participant, kind=kind, amount=value, note=plain_text(note)[:300]
    )
    audit.record(
        actor=actor,
        action="grant.requested",
        obj=grant,
        changes={"participant": participant.pk, "kind": kind, "amount": value},
    )
    return grant


def store_receipt(upload: IO[bytes] | Any, filename: str) -> Any:
    """Check an uploaded receipt by its content, like the designs library (PDF or image only),
    and store it. Anything else (an executable renamed ``.pdf``…) → ``invalid_file`` with the
    files app's explanation; nothing is stored."""
    from reproduce.files.errors import FileRejected
    from reproduce.files.services import ingest

    try:
        return ingest(upload, filename, allowed_kinds=set(RECEIPT_KINDS))
    except FileRejected as exc:
        raise ProgrammeError(
            _("The receipt was not accepted: %(reason)s")
            % {"reason": " ".join(str(m) for m in exc.messages)},
            "invalid_file",
            "file",
        ) from exc


@transaction.atomic
def add_receipt(
    *,
    actor: Actor,
    grant: Grant,
    upload: IO[bytes] | Any,
    filename: str,
    amount: Any,
    dated: date,
    supplier: str = "",
) -> GrantReceipt:
    """Attach a receipt to a materials grant that is not decided yet."""
    participant = grant.participant
    _require_own_or_officer(actor, participant)
    if grant.kind != GrantKind.MATERIALS:
        raise ProgrammeError(_("Receipts go with a materials grant."), "not_materials", "kind")
    if grant.state != GrantState.REQUESTED:
        raise ProgrammeError(
            _("This grant is already decided: ask for a new one."), "invalid_transition"
        )
    if dated > _today():
        raise ProgrammeError(_("The receipt is dated in the future."), "date_in_future", "dated")
    value = _money(amount)
    blob = store_receipt(upload, filename)
    from reproduce.files.services import safe_filename

    receipt = GrantReceipt.objects.create(
        grant=grant,
        blob=blob,
        filename=safe_filename(filename)[:200],
        amount=value,
        supplier=plain_text(supplier)[:200],
        dated=dated,
    )
    audit.record(
        actor=actor,
        action="grant.receipt_added",
        obj=grant,
        changes={"receipt": receipt.pk, "amount": value, "sha256": blob.sha256[:12]},
    )
    return receipt


def _claim(grant: Grant, source: str, target: str, **values: Any) -> None:
    updated = (
        Grant.objects.unscoped("conditional update of one known grant")
        .filter(pk=grant.pk, state=source)
        .update(state=target, **values)
    )
    if updated != 1:
        raise ProgrammeError(
            _("This grant changed meanwhile: reload the page."), "invalid_transition"
        )
    grant.state = target
    for key, value in values.items():
        setattr(grant, key, value)


def _require_state(grant: Grant, state: str, message: str) -> None:
    if grant.state != state:
        raise ProgrammeError(message, "invalid_transition")


@transaction.atomic
def approve_grant(*, actor: Actor, grant: Grant) -> Grant:
    """Approve a requested grant: ceilings, receipts (materials) and de minimis checked again,
    now that other grants may have been decided."""
    _require_officer(actor)
    _require_state(grant, GrantState.REQUESTED, _("Only a requested grant can be approved."))
    participant = grant.participant
    if (
        not DeMinimisDeclaration.objects.unscoped("existence test")
        .filter(participant=participant)
        .exists()
    ):
        raise ProgrammeError(
            _("The participant has not signed the de minimis declaration yet."),
            "de_minimis_missing",
        )
    _check_ceiling(participant, grant.kind, grant.amount, grant.pk)
    _check_receipts(grant)
    _check_de_minimis(participant, grant.amount, grant.pk)
    _claim(grant, GrantState.REQUESTED, GrantState.APPROVED, approved_at=timezone.now())
    audit.record(actor=actor, action="grant.approved", obj=grant, changes={"amount": grant.amount})
    return grant


@transaction.atomic
def refuse_grant(*, actor: Actor, grant: Grant, reason: str = "") -> Grant:
    """Refuse a requested grant (the amount no longer counts towards the ceilings)."""
    _require_officer(actor)
    _require_state(grant, GrantState.REQUESTED, _("Only a requested grant can be refused."))
    _claim(grant, GrantState.REQUESTED, GrantState.REFUSED, note=plain_text(reason)[:300])
    audit.record(actor=actor, action="grant.refused", obj=grant, changes={"reason": reason})
    return grant


@transaction.atomic
def pay_grant(*, actor: Actor, grant: Grant, reference: str, paid_on: date | None = None) -> Grant:
    """Record the payment of an approved grant (bank reference, date: today by default)."""
    _require_officer(actor)
    _require_state(grant, GrantState.APPROVED, _("Only an approved grant can be paid."))
    reference = plain_text(reference).strip()
    if not reference:
        raise ProgrammeError(_("Give the payment reference."), "reference_required", "reference")
    day = paid_on or _today()
    if day > _today():
        raise ProgrammeError(_("The payment date is in the future."), "date_in_future", "paid_on")
    paid_at = timezone.make_aware(datetime.combine(day, time(12)))
    _claim(
        grant,
        GrantState.APPROVED,
        GrantState.PAID,
        paid_at=paid_at,
        payment_reference=reference[:60],
    )
    audit.record(
        actor=actor,
        action="grant.paid",
        obj=grant,
        changes={"reference": reference, "paid_on": day, "amount": grant.amount},
    )
    return grant


def grant_totals(grants: Iterable[Grant]) -> dict[str, Decimal]:
    """Sums by state (requested, approved, paid, refused) and ``committed`` (approved + paid)."""
    totals = dict.fromkeys(GrantState.values, ZERO)
    for grant in grants:
        totals[grant.state] += grant.amount
    totals["committed"] = totals[GrantState.APPROVED] + totals[GrantState.PAID]
    return totals


def participants_of(actor: Actor, cohort: Cohort) -> Any:
    """The cohort's participants the actor may see, with what their rows show."""
    return (
        Participant.objects.visible_to(actor)
        .filter(cohort=cohort)
        .select_related("application", "organization", "host_fablab")
    )


def mine(actor: Actor) -> Any:
    """The actor's own participations (a person may take part in several cohorts)."""
    if actor.user_id is None:
        return Participant.objects.visible_to(actor).none()
    return (
        Participant.objects.visible_to(actor)
        .filter(application__applicant_id=actor.user_id)
        .select_related("cohort", "application", "host_fablab", "organization")
    )
