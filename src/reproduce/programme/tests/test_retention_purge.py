"""Personal data are erased at the end of a call's retention period; the indicators stay."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO, StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from reproduce.core.models import AuditEvent
from reproduce.files.gc import collect
from reproduce.files.models import Blob
from reproduce.files.services import ingest
from reproduce.programme.models import (
    Application,
    ApplicationDocument,
    Call,
    CallState,
    EmploymentRecord,
    InterviewSlot,
    Participant,
    ReviewAssignment,
    Score,
)
from reproduce.programme.services import indicators, retention
from reproduce.programme.tests.fixtures_indicators import (
    Programme,
    add_review_traces,
    aware,
    programme_fixture,  # noqa: F401 - the "programme" fixture
)

pytestmark = pytest.mark.django_db
U = "test"
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# Cohort 1 ends on 29 May 2026 and keeps its data 24 months: until 28 May 2028 included.
AFTER = aware(date(2028, 5, 29), 3)
BEFORE = aware(date(2028, 5, 28), 23)


def _figures() -> dict[str, Any]:
    report = indicators.compute(Participant.objects.unscoped(U))
    return {i.code: (i.value, [(r.reference, r.counted, r.values) for r in i.rows])
            for i in report.indicators}  # fmt: skip


def _traced(programme: Programme) -> Blob:
    blob = ingest(BytesIO(TINY_PDF), "cv.pdf", allowed_kinds={"pdf"})
    add_review_traces(programme, blob)
    return blob


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 5, 29), 24, date(2028, 5, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2026, 11, 15), 14, date(2028, 1, 15)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert retention.add_months(day, months) == expected


def test_only_calls_past_their_retention_period_are_due(programme: Programme) -> None:
    assert retention.retention_ends_on(programme.c1) == date(2028, 5, 29)
    assert retention.expired_calls(date(2028, 5, 28)) == []
    assert retention.expired_calls(date(2028, 5, 29)) == [programme.c1]
    Call.objects.unscoped(U).filter(pk=programme.c1.pk).update(retention_months=6)
    assert retention.expired_calls(date(2026, 11, 29)) == [programme.c1]


def test_the_purge_erases_the_person_and_everything_around_the_application(
    programme: Programme,
) -> None:
    _traced(programme)
    purged = retention.purge_expired_calls(AFTER)
    assert [(p.call_id, p.applications, p.documents) for p in purged] == [(programme.c1.pk, 3, 1)]
    lin = Application.objects.unscoped(U).get(reference="C1-001")
    assert (lin.first_name, lin.last_name, lin.email, lin.phone, lin.postcode) == ("",) * 5
    assert lin.applicant is None and lin.contribution == "" and lin.answers == {}
    assert lin.officer_note == "" and lin.anonymised_at == AFTER
    # A registered enterprise that took part stays named (public register, FEDER trail) …
    assert (lin.enterprise_name, lin.enterprise_number) == ("Atelier Lin", "0403170701")
    assert not ApplicationDocument.objects.unscoped(U).filter(application=lin).exists()
    assert Score.objects.unscoped(U).get(assignment__application=lin).comment == ""
    assert ReviewAssignment.objects.unscoped(U).get(application=lin).comment == ""
    assert InterviewSlot.objects.unscoped(U).get(application=lin).meeting_url == ""
    assert not EmploymentRecord.objects.unscoped(U).filter(
        participant__cohort=programme.cohort1).exclude(note="").exists()  # fmt: skip
    call = Call.objects.unscoped(U).get(pk=programme.c1.pk)
    assert call.state == CallState.ARCHIVED and call.purged_at == AFTER
    event = AuditEvent.objects.get(action="call.purge")
    assert event.changes == {"applications": 3, "documents": 1}
    assert event.actor_label == "system"


def test_an_applicant_who_did_not_take_part_loses_the_enterprise_data_too(
    programme: Programme,
) -> None:
    refused = Application.objects.unscoped(U).create(
        reference="C1-099", call=programme.c1, state="refused", first_name="Zoé",
        last_name="Lambert", email="zoe@example.test", enterprise_name="Zoé Couture",
        enterprise_number="0202239951",
    )  # fmt: skip
    retention.purge_call(call=programme.c1, now=AFTER)
    refused.refresh_from_db()
    assert (refused.first_name, refused.enterprise_name, refused.enterprise_number) == ("",) * 3
    assert refused.state == "refused"  # the counts of the call stay


def test_the_indicators_keep_their_values_after_the_purge(programme: Programme) -> None:
    _traced(programme)
    before = _figures()
    retention.purge_expired_calls(AFTER)
    after = _figures()
    assert after == before
    assert after["RCO01"][0] == 4 and after["RCR01"][0] == Decimal("3.00")
    row = next(
        r
        for r in indicators.compute(Participant.objects.unscoped(U)).get("RCO05").rows
        if r.reference == "C1-003"
    )
    assert row.person == "" and row.enterprise_key == "person:C1-003"


def test_nothing_is_erased_before_the_end_of_the_period(programme: Programme) -> None:
    assert retention.purge_expired_calls(BEFORE) == []
    assert Application.objects.unscoped(U).get(reference="C1-001").first_name == "Lina"


def test_the_purge_runs_once(programme: Programme) -> None:
    retention.purge_expired_calls(AFTER)
    assert retention.purge_expired_calls(AFTER + timedelta(days=1)) == []
    assert retention.purge_call(call=programme.c1, now=AFTER).applications == 0
    assert AuditEvent.objects.filter(action="call.purge").count() == 1


def test_the_files_gc_then_removes_the_erased_documents(programme: Programme) -> None:
    blob = _traced(programme)
    assert collect(older_than=timedelta(0)).unused_blobs == 0  # still attached
    retention.purge_expired_calls(AFTER)
    assert collect(older_than=timedelta(0)).unused_blobs == 1
    assert not Blob.objects.filter(pk=blob.pk).exists()


def test_the_command_purges_and_lists_with_dry_run(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: AFTER)
    out = StringIO()
    call_command("programme", "purge", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "would erase c1 (retention ended 2028-05-29)"
    assert Application.objects.unscoped(U).get(reference="C1-001").first_name == "Lina"
    out = StringIO()
    call_command("programme", "purge", stdout=out)
    assert "3 applications erased" in out.getvalue()
    assert Application.objects.unscoped(U).get(reference="C1-001").first_name == ""
