"""Public events of the programme (Maker Faire, Meet the Maker) and their registrations.

Officers (``programme.manage``) write an event in French, Dutch and English, publish it, mark
who came. Anyone registers without an account (name, e-mail, organisation): the e-mail is the
key, so registering twice answers with the existing registration (no duplicate, no second
e-mail), and the capacity is never exceeded. The confirmation e-mail carries a link with a
secret token to cancel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.core.sanitize import clean_html, plain_text
from reproduce.programme.models import Event, EventKind, Registration
from reproduce.programme.services import ProgrammeError
from reproduce.programme.wording import describe, find_forbidden

MANAGE = "programme.manage"
LANGUAGES = ("fr", "nl", "en")
TITLE_FIELDS = [f"title_{c}" for c in LANGUAGES]
DESCRIPTION_FIELDS = [f"description_{c}" for c in LANGUAGES]
EVENT_FIELDS = [
    "kind",
    *TITLE_FIELDS,
    *DESCRIPTION_FIELDS,
    "starts_at",
    "ends_at",
    "place",
    "capacity",
    "cohort",
]


def _require_officer(actor: Actor) -> None:
    require(actor, MANAGE)


def _unique_slug(event: Event) -> str:
    base = slugify(event.title_en or event.title_fr)[:60] or "event"
    base = f"{base}-{timezone.localtime(event.starts_at):%Y}" if event.starts_at else base
    candidate, n = base, 2
    taken = Event.objects.unscoped("slugs are unique across the programme")
    while taken.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _apply(event: Event, values: Mapping[str, Any]) -> None:
    for name in EVENT_FIELDS:
        if name in values:
            setattr(event, name, values[name])
    for name in (*TITLE_FIELDS, "place"):
        setattr(event, name, plain_text(getattr(event, name) or ""))
    for name in DESCRIPTION_FIELDS:
        setattr(event, name, clean_html(getattr(event, name) or ""))


def _check(event: Event) -> None:
    for name in TITLE_FIELDS:
        if not getattr(event, name):
            raise ProgrammeError(
                _("Give the title in French, Dutch and English."), "title_required", name
            )
    if event.kind not in EventKind.values:
        raise ProgrammeError(_("Choose the kind of event."), "invalid_kind", "kind")
    if not event.place:
        raise ProgrammeError(_("Say where the event takes place."), "place_required", "place")
    if not event.starts_at or not event.ends_at or event.ends_at <= event.starts_at:
        raise ProgrammeError(_("The end must come after the start."), "invalid_period", "ends_at")
    if event.capacity is not None and event.capacity < 1:
        raise ProgrammeError(
            _("Leave the places empty or give at least 1."), "invalid_capacity", "capacity"
        )
    # The FEDER wording rule: texts the officer writes never call the programme a training.
    for name in (*TITLE_FIELDS, *DESCRIPTION_FIELDS):
        findings = find_forbidden(getattr(event, name))
        if findings:
            raise ProgrammeError(describe(findings, name[-2:]), "forbidden_wording", name)


@transaction.atomic
def create_event(*, actor: Actor, values: Mapping[str, Any]) -> Event:
    """A draft event (not public until :func:`publish_event`)."""
    _require_officer(actor)
    event = Event(is_published=False)
    _apply(event, values)
    _check(event)
    event.slug = _unique_slug(event)
    event.save()
    audit.record(
        actor=actor,
        action="event.created",
        obj=event,
        changes=audit.snapshot(event, ["slug", "kind", "title_fr", "starts_at", "capacity"]),
    )
    return event


@transaction.atomic
def update_event(*, actor: Actor, event: Event, values: Mapping[str, Any]) -> Event:
    """Change an event. The capacity cannot go below the registrations already taken."""
    _require_officer(actor)
    before = audit.snapshot(event, EVENT_FIELDS)
    _apply(event, values)
    _check(event)
    taken = active_count(event)
    if event.capacity is not None and event.capacity < taken:
        raise ProgrammeError(
            _("%(count)s people are already registered: the places cannot be fewer.")
            % {"count": taken},
            "invalid_capacity",
            "capacity",
        )
    event.save()
    audit.record(
        actor=actor,
        action="event.updated",
        obj=event,
        changes=audit.diff(before, audit.snapshot(event, EVENT_FIELDS)),
    )
    return event


@transaction.atomic
def publish_event(*, actor: Actor, event: Event, published: bool = True) -> Event:
    """Show the event on the public list (``published=False`` takes it off again)."""
    _require_officer(actor)
    if event.is_published != published:
        event.is_published = published
        event.save(update_fields=["is_published"])
        audit.record(
            actor=actor,
            action="event.published" if published else "event.unpublished",
            obj=event,
        )
    return event


def active_count(event: Event) -> int:
    return int(event.registrations.filter(cancelled_at__isnull=True).count())


def places_left(event: Event) -> int | None:
    """Free places, or None when the event has no limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - active_count(event), 0)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ProgrammeError(_("Enter a valid e-mail address."), "invalid_email", "email") from exc
    return email


def _check_open(event: Event) -> None:
    if not event.is_published or event.ends_at <= timezone.now():
        raise ProgrammeError(_("Registrations for this event are closed."), "registration_closed")


def _check_capacity(event: Event) -> None:
    if event.capacity is not None and active_count(event) >= event.capacity:
        raise ProgrammeError(_("The event is full: no places are left."), "event_full")


def _lock(event: Event) -> None:
    """Serialise registrations of one event: the row lock (PostgreSQL) or the write lock this
    UPDATE takes (SQLite) makes the count-then-insert of the capacity check safe."""
    Event.objects.unscoped("lock one event").filter(pk=event.pk).update(capacity=event.capacity)


def register_or_find(
    *,
    event: Event,
    name: str,
    email: str,
    organization_name: str = "",
    language: str = "fr",
) -> tuple[Registration, bool]:
    """Register someone (no account needed); ``(registration, created)``.

    The same e-mail again finds the existing registration (created False) and sends nothing;
    a cancelled one is taken up again if a place is left.
    """
    name = plain_text(name)[:150]
    if not name:
        raise ProgrammeError(_("Give your name."), "name_required", "name")
    email = _clean_email(email)
    language = language if language in LANGUAGES else "fr"
    try:
        with transaction.atomic():
            return _register(event, name, email, plain_text(organization_name)[:200], language)
    except IntegrityError:
        # The same address sent twice at once: the other request created it.
        existing = event.registrations.get(email=email)
        return existing, False


def _register(
    event: Event, name: str, email: str, organization_name: str, language: str
) -> tuple[Registration, bool]:
    _lock(event)
    existing = event.registrations.filter(email=email).first()
    if existing is not None and existing.cancelled_at is None:
        return existing, False
    _check_open(event)
    _check_capacity(event)
    if existing is not None:  # cancelled earlier, coming after all
        existing.cancelled_at = None
        existing.name, existing.organization_name, existing.language = (
            name,
            organization_name,
            language,
        )
        existing.save(update_fields=["cancelled_at", "name", "organization_name", "language"])
        registration = existing
    else:
        registration = Registration.objects.create(
            event=event,
            name=name,
            email=email,
            organization_name=organization_name,
            language=language,
        )
    audit.record(
        actor=None,
        action="event.registered",
        obj=registration,
        changes={"event": event.pk},  # no personal data in the log: the row holds them
    )
    transaction.on_commit(lambda: send_registration_confirmation.enqueue(registration.pk))
    return registration, True


def register(
    *, event: Event, name: str, email: str, organization_name: str = "", language: str = "fr"
) -> Registration:
    """Register someone to a published event (see :func:`register_or_find`)."""
    registration, _created = register_or_find(
        event=event,
        name=name,
        email=email,
        organization_name=organization_name,
        language=language,
    )
    return registration


def find_by_token(token: Any) -> Registration | None:
    """The registration a cancel link names (its holder may read it), or None."""
    try:
        return (
            Registration.objects.unscoped("the holder of the secret token may read it")
            .select_related("event")
            .filter(token=token)
            .first()
        )
    except (ValidationError, ValueError):
        return None


@transaction.atomic
def cancel_registration(*, token: Any) -> Registration:
    """Cancel through the e-mail's link; again changes nothing. Unknown → ``unknown_token``."""
    registration = find_by_token(token)
    if registration is None:
        raise ProgrammeError(
            _("This link is not valid. Check that you copied the whole link."), "unknown_token"
        )
    if registration.cancelled_at is None:
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["cancelled_at"])
        audit.record(
            actor=None,
            action="event.registration_cancelled",
            obj=registration,
            changes={"event": registration.event_id},
        )
    return registration


@transaction.atomic
def mark_attendance(*, actor: Actor, event: Event, attended: Mapping[int, bool | None]) -> int:
    """Who came (registration id → True, False, or None for not known); returns the changes."""
    _require_officer(actor)
    rows = event.registrations.filter(pk__in=list(attended))
    changed = {}
    for registration in rows:
        value = attended[registration.pk]
        if registration.attended != value:
            registration.attended = value
            registration.save(update_fields=["attended"])
            changed[str(registration.pk)] = value
    if changed:
        audit.record(actor=actor, action="event.attendance", obj=event, changes=changed)
    return len(changed)


# ---------------------------------------------------------------- e-mail


def cancel_url(registration: Registration) -> str:
    with translation.override(registration.language):
        path = reverse("programme:event_cancel", kwargs={"token": registration.token})
    return settings.SITE_URL.rstrip("/") + path


@task()
def send_registration_confirmation(registration_id: int) -> int:
    """The confirmation, in the language the person registered in, with the cancel link."""
    registration = (
        Registration.objects.unscoped("background job: one registration by id")
        .select_related("event")
        .filter(pk=registration_id, cancelled_at__isnull=True)
        .first()
    )
    if registration is None:
        return 0
    with translation.override(registration.language):
        data = {
            "registration": registration,
            "event": registration.event,
            "event_title": registration.event.text("title"),
            "cancel_url": cancel_url(registration),
            "event_url": settings.SITE_URL.rstrip("/")
            + reverse("programme:event_detail", kwargs={"slug": registration.event.slug}),
        }
        subject = render_to_string("programme/email/event_registered_subject.txt", data)
        body = render_to_string("programme/email/event_registered_body.txt", data)
    return send_mail(subject.strip(), body, None, [registration.email])
