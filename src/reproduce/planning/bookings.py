"""Machine bookings at a fablab, Fab-manager style: slots inside opening hours, no overlap,
the trained-operator flag respected, cancellation until the slot starts. The network plan
treats bookings as fixed (see :mod:`.calendars`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import has_perm, require
from reproduce.network.models import Machine, Skill
from reproduce.planning.calendars import machine_blocks, opening_spans
from reproduce.planning.models import Booking, BookingState

SLOT_MINUTES = 30
MAX_BOOKING = timedelta(hours=8)
MAX_AHEAD = timedelta(days=90)


class BookingError(ValidationError):
    """A refused change, with a stable ``code`` the API maps to a status."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    now = timezone.now()
    if ends_at <= starts_at:
        raise BookingError(_("The end must come after the start."), "invalid_period")
    if starts_at < now:
        raise BookingError(_("A booking cannot start in the past."), "date_in_past")
    if starts_at > now + MAX_AHEAD:
        raise BookingError(_("Book at most 90 days ahead."), "too_far")
    if ends_at - starts_at > MAX_BOOKING:
        raise BookingError(_("A booking lasts at most 8 hours."), "too_long")
    for moment in (starts_at, ends_at):
        local = timezone.localtime(moment)
        if local.minute % SLOT_MINUTES or local.second or local.microsecond:
            raise BookingError(
                _("Bookings start and end on the hour or the half hour."), "invalid_period"
            )


def _check_open(machine: Machine, starts_at: datetime, ends_at: datetime) -> None:
    spans = opening_spans([machine.site_id], starts_at - timedelta(days=1), ends_at)[
        machine.site_id
    ]
    if not any(a <= starts_at and ends_at <= b for a, b in spans):
        raise BookingError(
            _(
                "%(site)s is not open for the whole of this slot: "
                "choose a time within its opening hours."
            )
            % {"site": machine.site.name},
            "outside_opening_hours",
        )


def _check_trained(actor: Actor, machine: Machine) -> None:
    if not machine.requires_trained_operator:
        return
    trained = Skill.objects.unscoped("is this person trained on the machine's process").filter(
        user_id=actor.user_id, process_id=machine.process_id, validated_at__isnull=False
    )
    if not trained.exists():
        raise BookingError(
            _(
                "This machine needs a trained operator: ask the workshop to validate your "
                "skill in %(process)s first."
            )
            % {"process": machine.process},
            "not_trained",
        )


def _check_free(machine: Machine, starts_at: datetime, ends_at: datetime) -> None:
    if machine_blocks([machine.pk], starts_at, ends_at).get(machine.pk):
        raise BookingError(
            _("This slot is already taken or the machine is unavailable then."), "slot_taken"
        )


def book_machine(
    *,
    actor: Actor,
    machine: Machine,
    starts_at: datetime,
    ends_at: datetime,
    purpose: str = "",
) -> Booking:
    """Reserve machine time. Two people booking the same slot: the machine row is locked
    (PostgreSQL) so the second sees the first booking and gets ``slot_taken``."""
    if not actor.is_authenticated:
        raise BookingError(_("Sign in to book a machine."), "forbidden")
    require(actor, "booking.create", actor.active_organization_id)
    _check_times(starts_at, ends_at)
    _check_trained(actor, machine)
    with transaction.atomic():
        Machine.objects.unscoped("lock the machine being booked").select_for_update().filter(
            pk=machine.pk
        ).first()
        _check_open(machine, starts_at, ends_at)
        _check_free(machine, starts_at, ends_at)
        booking = Booking.objects.create(
            machine=machine,
            user=actor.user,
            booker_organization_id=actor.active_organization_id,
            starts_at=starts_at,
            ends_at=ends_at,
            purpose=purpose.strip()[:200],
        )
        audit.record(
            actor=actor,
            action="booking.created",
            obj=booking,
            organization_id=machine.site.organization_id,
            changes={"machine": machine.pk, "starts_at": starts_at, "ends_at": ends_at},
        )
    return booking


def cancel_booking(*, actor: Actor, booking: Booking) -> Booking:
    """The person who booked, or a manager of the host workshop, cancels before the start."""
    host = booking.machine.site.organization_id
    if booking.user_id != actor.user_id and not has_perm(actor, "booking.manage", host):
        require(actor, "booking.manage", host)
    if booking.state != BookingState.CONFIRMED:
        raise BookingError(_("This booking is already cancelled."), "already_cancelled")
    if booking.starts_at <= timezone.now():
        raise BookingError(_("A booking that has started cannot be cancelled."), "started")
    with transaction.atomic():
        updated = (
            Booking.objects.unscoped("conditional cancellation")
            .filter(pk=booking.pk, state=BookingState.CONFIRMED)
            .update(state=BookingState.CANCELLED, cancelled_at=timezone.now())
        )
        if not updated:
            raise BookingError(_("This booking is already cancelled."), "already_cancelled")
        booking.refresh_from_db()
        audit.record(
            actor=actor, action="booking.cancelled", obj=booking, organization_id=host, changes={}
        )
    return booking


def free_slots(
    machine: Machine, day: datetime, length: timedelta
) -> list[tuple[datetime, datetime]]:
    """Bookable slots of ``length`` on the day of ``day`` (every half hour)."""
    start = timezone.localtime(day).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    spans = opening_spans([machine.site_id], start, end)[machine.site_id]
    blocks = machine_blocks([machine.pk], start, end).get(machine.pk, [])
    now = timezone.now()
    out = []
    for a, b in spans:
        t = a
        while t + length <= b:
            if t >= now and not any(x < t + length and t < y for x, y in blocks):
                out.append((t, t + length))
            t += timedelta(minutes=SLOT_MINUTES)
    return out
