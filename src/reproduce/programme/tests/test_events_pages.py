"""Event pages: the public list and registration (no account), cancelling by the e-mail's link,
the officer's pages (write, publish, registrations, attendance, CSV)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reproduce.programme.models import Event, Registration
from reproduce.programme.services import events as svc
from reproduce.programme.tests.fixtures_cohorts import (
    CohortWorld,
    cw_bare_fixture,  # noqa: F401 - the ``cw_bare`` fixture
    immediate_tasks_fixture,  # noqa: F401 - the ``immediate_tasks`` fixture
    make_event,
)

pytestmark = pytest.mark.django_db


def _registrations(event: Event) -> int:
    return int(Registration.objects.unscoped("test").filter(event=event).count())


def test_public_list_and_page(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare)
    draft = make_event(cw_bare, publish=False)
    anonymous = client_for(None)
    page = anonymous.get(reverse("programme:event_list")).content.decode()
    assert event.slug in page and draft.slug not in page
    assert anonymous.get(reverse("programme:event_detail", args=[event.slug])).status_code == 200
    assert anonymous.get(reverse("programme:event_detail", args=[draft.slug])).status_code == 404
    officer = client_for(cw_bare.officer)
    assert officer.get(reverse("programme:event_detail", args=[draft.slug])).status_code == 200


def test_register_without_an_account_then_twice(
    cw_bare: CohortWorld,
    client_for: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = make_event(cw_bare)
    url = reverse("programme:event_detail", args=[event.slug])
    client = client_for(None)
    data = {"name": "Lou", "email": "lou@example.org", "organization_name": "Lin & Co"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, data, follow=True)
    assert "You are registered" in first.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, {**data, "email": "LOU@example.org"}, follow=True)
    assert "already registered" in second.content.decode()
    assert _registrations(event) == 1 and len(mail.outbox) == 1


def test_a_full_event_says_so(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare, capacity=1)
    svc.register(event=event, name="A", email="a@example.org")
    url = reverse("programme:event_detail", args=[event.slug])
    page = client_for(None).get(url).content.decode()
    assert "The event is full" in page
    response = client_for(None).post(url, {"name": "B", "email": "b@example.org"})
    assert response.status_code == 200 and "The event is full" in response.content.decode()
    assert _registrations(event) == 1


def test_bad_email_keeps_the_form(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare)
    response = client_for(None).post(
        reverse("programme:event_detail", args=[event.slug]), {"name": "Lou", "email": "lou@"}
    )
    assert response.status_code == 200 and 'value="Lou"' in response.content.decode()


def test_robots_filling_the_hidden_field_are_ignored(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare)
    client_for(None).post(
        reverse("programme:event_detail", args=[event.slug]),
        {"name": "Bot", "email": "bot@example.org", "website": "http://spam"},
    )
    assert _registrations(event) == 0


def test_cancel_by_the_link(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare)
    registration = svc.register(event=event, name="A", email="a@example.org")
    url = reverse("programme:event_cancel", args=[registration.token])
    client = client_for(None)
    assert "Cancel my registration" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    registration.refresh_from_db()
    assert registration.cancelled_at is not None
    assert client.post(url).status_code == 302  # again: still cancelled, no error
    unknown = reverse("programme:event_cancel", args=["12345678-1234-5678-1234-567812345678"])
    assert client.get(unknown).status_code == 404


def test_officer_writes_publishes_and_marks_attendance(
    cw_bare: CohortWorld, client_for: Any
) -> None:
    client = client_for(cw_bare.officer)
    start = timezone.localtime(timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    data = {
        "kind": "meet_the_maker",
        "title_fr": "Rencontre",
        "title_nl": "Ontmoeting",
        "title_en": "Meet the Maker",
        "description_en": "A training evening",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "MicroFactory",
        "capacity": "30",
    }
    refused = client.post(reverse("programme:event_create"), data)
    assert refused.status_code == 200 and "FEDER" in refused.content.decode()
    data["description_en"] = "An evening with the makers"
    response = client.post(reverse("programme:event_create"), data)
    assert response.status_code == 302
    event = Event.objects.unscoped("test").get(title_en="Meet the Maker")
    client.post(reverse("programme:event_publish", args=[event.slug]), {"publish": "1"})
    event.refresh_from_db()
    assert event.is_published
    a = svc.register(event=event, name="A", email="a@example.org")
    url = reverse("programme:event_registrations", args=[event.slug])
    assert client.get(url).status_code == 200
    assert client.post(url, {f"r{a.pk}": "yes"}).status_code == 302
    a.refresh_from_db()
    assert a.attended is True
    export = client.get(reverse("programme:event_export", args=[event.slug]))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1][:2] == ["A", "a@example.org"] and rows[1][6] == "yes"


def test_csv_export_neutralises_formulas(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare)
    svc.register(event=event, name="=HYPERLINK(1)", email="a@example.org")
    export = client_for(cw_bare.officer).get(reverse("programme:event_export", args=[event.slug]))
    assert "'=HYPERLINK" in export.content.decode(
        "utf-8-sig"
    ) or "=HYPERLINK" not in export.content.decode("utf-8-sig")


def test_officer_pages_refuse_others(cw_bare: CohortWorld, client_for: Any) -> None:
    event = make_event(cw_bare)
    for name, args in [
        ("event_manage", []),
        ("event_create", []),
        ("event_edit", [event.slug]),
        ("event_registrations", [event.slug]),
        ("event_export", [event.slug]),
    ]:
        assert (
            client_for(cw_bare.reviewer).get(reverse(f"programme:{name}", args=args)).status_code
            == 403
        )
        assert client_for(None).get(reverse(f"programme:{name}", args=args)).status_code == 302


def test_public_list_query_count(cw_bare: CohortWorld, client_for: Any) -> None:
    make_event(cw_bare)
    client = client_for(None)
    url = reverse("programme:event_list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    make_event(cw_bare)
    make_event(cw_bare)
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    assert len(three) == len(one)
