"""Events: writing and publishing, public registration (capacity, twice, cancel), attendance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reproduce.programme.models import Registration
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import events as svc
from reproduce.programme.tests.fixtures_cohorts import (
    CohortWorld,
    cw_bare_fixture,  # noqa: F401 - the ``cw_bare`` fixture
    immediate_tasks_fixture,  # noqa: F401 - the ``immediate_tasks`` fixture
    make_event,
)

pytestmark = pytest.mark.django_db


def _count(event: Any) -> int:
    return int(Registration.objects.unscoped("test").filter(event=event).count())


def test_create_publish_and_slug(cw_bare: CohortWorld) -> None:
    event = make_event(cw_bare, publish=False)
    assert event.slug.startswith("maker-faire-brussels-") and not event.is_published
    svc.publish_event(actor=cw_bare.officer_actor, event=event)
    assert event.is_published
    again = make_event(cw_bare)
    assert again.slug != event.slug
    with pytest.raises(PermissionDenied):
        svc.publish_event(actor=cw_bare.actor(cw_bare.reviewer), event=event)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title_nl": ""}, "title_required"),
        ({"place": " "}, "place_required"),
        ({"capacity": 0}, "invalid_capacity"),
        ({"description_fr": "Une formation au laser"}, "forbidden_wording"),
        ({"title_en": "Maker training day"}, "forbidden_wording"),
    ],
)
def test_event_refusals(cw_bare: CohortWorld, change: dict[str, Any], code: str) -> None:
    event = make_event(cw_bare)
    with pytest.raises(ProgrammeError) as exc:
        svc.update_event(actor=cw_bare.officer_actor, event=event, values=change)
    assert exc.value.code == code


def test_the_end_comes_after_the_start(cw_bare: CohortWorld) -> None:
    event = make_event(cw_bare)
    with pytest.raises(ProgrammeError) as exc:
        svc.update_event(
            actor=cw_bare.officer_actor, event=event, values={"ends_at": event.starts_at}
        )
    assert exc.value.code == "invalid_period"


def test_register_confirms_by_email_with_a_cancel_link(
    cw_bare: CohortWorld, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    event = make_event(cw_bare)
    with django_capture_on_commit_callbacks(execute=True):
        registration = svc.register(
            event=event, name="Lou", email=" Lou@Example.org ", language="nl"
        )
    assert registration.email == "lou@example.org"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lou@example.org"]
    assert "Maker Faire Brussel" in message.body  # in the language of the registration
    assert f"/nl/programme/events/cancel/{registration.token}/" in message.body


def test_registering_twice_is_idempotent(
    cw_bare: CohortWorld, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    event = make_event(cw_bare)
    with django_capture_on_commit_callbacks(execute=True):
        first, created = svc.register_or_find(event=event, name="Lou", email="lou@example.org")
        again, created_again = svc.register_or_find(
            event=event, name="Lou B.", email="LOU@example.org"
        )
    assert created and not created_again
    assert again.pk == first.pk and again.name == "Lou"
    assert _count(event) == 1
    assert len(mail.outbox) == 1  # no second e-mail


def test_capacity_is_respected(cw_bare: CohortWorld) -> None:
    event = make_event(cw_bare, capacity=2)
    svc.register(event=event, name="A", email="a@example.org")
    b = svc.register(event=event, name="B", email="b@example.org")
    with pytest.raises(ProgrammeError) as exc:
        svc.register(event=event, name="C", email="c@example.org")
    assert exc.value.code == "event_full"
    assert _count(event) == 2
    # Someone already registered still gets their registration back when it is full.
    assert svc.register(event=event, name="A", email="a@example.org").email == "a@example.org"
    svc.cancel_registration(token=b.token)
    assert svc.places_left(event) == 1
    svc.register(event=event, name="C", email="c@example.org")


def test_cancel_and_come_back(cw_bare: CohortWorld) -> None:
    event = make_event(cw_bare, capacity=1)
    registration = svc.register(event=event, name="A", email="a@example.org")
    svc.cancel_registration(token=registration.token)
    cancelled = svc.cancel_registration(token=registration.token)  # again: no change
    assert cancelled.cancelled_at is not None
    back = svc.register(event=event, name="A", email="a@example.org")
    assert back.pk == registration.pk and back.cancelled_at is None
    with pytest.raises(ProgrammeError) as exc:
        svc.cancel_registration(token="not-a-uuid")
    assert exc.value.code == "unknown_token"


@pytest.mark.parametrize(
    ("name", "email", "code"),
    [("", "a@example.org", "name_required"), ("A", "not an address", "invalid_email")],
)
def test_bad_registrations(cw_bare: CohortWorld, name: str, email: str, code: str) -> None:
    event = make_event(cw_bare)
    with pytest.raises(ProgrammeError) as exc:
        svc.register(event=event, name=name, email=email)
    assert exc.value.code == code


def test_drafts_and_past_events_take_no_registration(cw_bare: CohortWorld) -> None:
    draft = make_event(cw_bare, publish=False)
    with pytest.raises(ProgrammeError) as exc:
        svc.register(event=draft, name="A", email="a@example.org")
    assert exc.value.code == "registration_closed"
    past = make_event(cw_bare)
    past.starts_at = timezone.now() - timedelta(days=2)
    past.ends_at = timezone.now() - timedelta(days=1)
    past.save()
    with pytest.raises(ProgrammeError) as exc:
        svc.register(event=past, name="A", email="a@example.org")
    assert exc.value.code == "registration_closed"


def test_capacity_cannot_drop_below_the_registrations(cw_bare: CohortWorld) -> None:
    event = make_event(cw_bare, capacity=5)
    svc.register(event=event, name="A", email="a@example.org")
    svc.register(event=event, name="B", email="b@example.org")
    with pytest.raises(ProgrammeError) as exc:
        svc.update_event(actor=cw_bare.officer_actor, event=event, values={"capacity": 1})
    assert exc.value.code == "invalid_capacity"


def test_mark_attendance(cw_bare: CohortWorld) -> None:
    event = make_event(cw_bare)
    a = svc.register(event=event, name="A", email="a@example.org")
    b = svc.register(event=event, name="B", email="b@example.org")
    changed = svc.mark_attendance(
        actor=cw_bare.officer_actor, event=event, attended={a.pk: True, b.pk: False}
    )
    assert changed == 2
    a.refresh_from_db()
    assert a.attended is True
    with pytest.raises(PermissionDenied):
        svc.mark_attendance(actor=cw_bare.actor(cw_bare.stranger), event=event, attended={})
