"""Officers' selection pages: the applications of a call (filters, search, bounded queries),
one application (audited), assigning reviewers, the ranking and its CSV export (audited,
formulas neutralised), interview slots, decisions; and the applicant's interview booking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reproduce.core.models import AuditEvent
from reproduce.programme.models import (
    Application,
    ApplicationState,
    InterviewSlot,
    ReviewAssignment,
)
from reproduce.programme.services.interviews import invite_to_interview
from reproduce.programme.tests import fixtures_review
from reproduce.programme.tests.fixtures_review import (
    ReviewWorld,
    grid,
    score_all,
)

rw = fixtures_review.rw  # the fixture


def _count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _more_applications(rw: ReviewWorld, n: int) -> None:
    for i in range(n):
        app = Application.objects.create(
            reference=f"X-{i:03d}",
            call=rw.call,
            state=ApplicationState.SUBMITTED,
            first_name=f"Extra{i}",
            last_name="Maker",
            submitted_at=timezone.now(),
        )
        rw.assign(app, rw.reviewers[i % 3])


def test_the_list_filters_searches_and_keeps_its_query_count(
    rw: ReviewWorld, client_for: Any
) -> None:
    client = client_for(rw.officer)
    url = reverse("programme:selection_applications", args=[rw.call.slug])
    rw.assign(rw.applications[0], rw.reviewers[0])
    few = _queries(client, url)
    _more_applications(rw, 12)
    assert _queries(client, url) == few
    body = client.get(url, {"q": "peeters"}).content.decode()
    assert rw.applications[1].reference in body and rw.applications[0].reference not in body
    invite_to_interview(actor=rw.actor(rw.officer), application=rw.applications[2])
    body = client.get(url, {"state": "interview"}).content.decode()
    assert rw.applications[2].reference in body and rw.applications[1].reference not in body


def test_the_officer_opens_an_application_audited_and_assigns_reviewers(
    rw: ReviewWorld, client_for: Any
) -> None:
    app = rw.applications[0]
    client = client_for(rw.officer)
    before = _count("application.view")
    page = client.get(reverse("programme:selection_application", args=[app.pk]))
    assert page.status_code == 200
    assert _count("application.view") == before + 1
    token = page.context["assign_form"]["form_token"].value()
    url = reverse("programme:selection_assign", args=[app.pk])
    data = {"reviewer": rw.reviewers[0].pk, "form_token": token}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # a double click assigns once
    assert ReviewAssignment.objects.unscoped("test").filter(application=app).count() == 1
    refused = client.post(url, {"reviewer": rw.reviewers[0].pk})
    assert refused.status_code == 200
    assert "already assigned" in refused.content.decode()
    assert client.post(url, {"reviewer": rw.outsider.pk}).status_code == 200  # not offered


def test_ranking_page_and_csv_export(rw: ReviewWorld, client_for: Any) -> None:
    a0, a1, _a2 = rw.applications
    Application.objects.unscoped("test").filter(pk=a1.pk).update(
        first_name="=HYPERLINK(1)", last_name=""
    )
    (x,) = rw.assign(a0, rw.reviewers[0])
    (y,) = rw.assign(a1, rw.reviewers[0])
    score_all(rw, x, grid("35.5", "25", "8", "15"))
    score_all(rw, y, grid("20", "20", "5", "5"))
    client = client_for(rw.officer)
    page = client.get(reverse("programme:selection_ranking", args=[rw.call.slug]))
    assert page.status_code == 200
    assert "<strong>83,50</strong>" in page.content.decode()  # Belgian number format
    before = _count("application.export")
    csv = client.get(reverse("programme:selection_ranking_csv", args=[rw.call.slug]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[1].startswith(f"1,{a0.reference},")
    assert "'=HYPERLINK(1)" in lines[2]
    assert _count("application.export") == before + 3


def test_slots_invitation_booking_and_decision_through_the_pages(
    rw: ReviewWorld, client_for: Any
) -> None:
    officer = client_for(rw.officer)
    app = rw.applications[0]
    day = timezone.localdate() + timedelta(days=10)
    page = officer.get(reverse("programme:selection_slots", args=[rw.call.slug]))
    token = page.context["form"]["form_token"].value()
    created = officer.post(
        reverse("programme:selection_slots", args=[rw.call.slug]),
        {
            "first_day": day.isoformat(),
            "last_day": day.isoformat(),
            "start": "10:00",
            "minutes": "30",
            "count": "2",
            "meeting_url": "https://meet.example.test/x",
            "form_token": token,
        },
    )
    assert created.status_code == 302
    assert InterviewSlot.objects.unscoped("test").filter(call=rw.call).count() == 2
    officer.post(reverse("programme:selection_invite", args=[app.pk]))
    applicant = client_for(rw.applicants[0])
    url = reverse("programme:interview_booking", args=[app.pk])
    page = applicant.get(url)
    assert page.status_code == 200
    first = InterviewSlot.objects.unscoped("test").filter(call=rw.call).order_by("starts_at")[0]
    assert applicant.post(url, {"slot": first.pk}).status_code == 302
    # Another invited applicant clicking the same slot is told it was taken.
    other = rw.applications[1]
    officer.post(reverse("programme:selection_invite", args=[other.pk]))
    late = client_for(rw.applicants[1]).post(
        reverse("programme:interview_booking", args=[other.pk]), {"slot": first.pk}
    )
    assert late.status_code == 200 and "just taken" in late.content.decode()
    # The applicant's calendar file; nobody else's page.
    ics = applicant.get(reverse("programme:interview_ics", args=[first.pk]))
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content
    assert client_for(rw.applicants[1]).get(url).status_code == 404
    assert (
        client_for(rw.applicants[1])
        .get(reverse("programme:interview_ics", args=[first.pk]))
        .status_code
        == 404
    )
    # Decision with a forbidden word: refused, shown on the form.
    decide_url = reverse("programme:selection_decide", args=[app.pk])
    refused = officer.post(decide_url, {"decision": "accepted", "message": "Great training!"})
    assert refused.status_code == 200 and "FEDER" in refused.content.decode()
    assert (
        officer.post(decide_url, {"decision": "accepted", "message": "Welcome!"}).status_code == 302
    )
    send = officer.post(reverse("programme:selection_send_decisions", args=[rw.call.slug]))
    assert send.status_code == 302
    assert Application.objects.unscoped("test").get(pk=app.pk).decision_sent_at is not None


def test_officer_pages_refuse_reviewers_and_applicants(rw: ReviewWorld, client_for: Any) -> None:
    for user in (rw.reviewers[0], rw.applicants[0], rw.outsider):
        client = client_for(user)
        assert (
            client.get(reverse("programme:selection_applications", args=[rw.call.slug])).status_code
            == 403
        )
        assert (
            client.get(
                reverse("programme:selection_application", args=[rw.applications[0].pk])
            ).status_code
            == 403
        )
    missing = client_for(rw.officer).get(reverse("programme:selection_ranking", args=["nope"]))
    assert missing.status_code == 404
