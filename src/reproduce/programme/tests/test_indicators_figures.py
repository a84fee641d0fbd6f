"""FEDER indicators are computed from the records: once per enterprise, by cohort and period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reproduce.programme.models import EmploymentRecord, Participant
from reproduce.programme.services import indicators
from reproduce.programme.services.indicators import Scope
from reproduce.programme.tests.fixtures_indicators import (
    Programme,
    follow_up,
    programme_fixture,  # noqa: F401 - the "programme" fixture
)

pytestmark = pytest.mark.django_db


def _figures(scope: Scope | None = None) -> dict[str, int | Decimal]:
    report = indicators.compute(Participant.objects.unscoped("test"), scope)
    return {i.code: i.value for i in report.indicators}


def test_each_enterprise_counts_once_across_cohorts(programme: Programme) -> None:
    figures = _figures()
    # Atelier Lin took part in both cohorts: 5 participations, 4 enterprises.
    assert figures["RCO01"] == 4
    assert figures["RCO04"] == 2  # Lin and Nora; Papier Brol was only excused, Kapok not yet
    assert figures["RCO05"] == 2  # Nora's future enterprise and Kapok
    # Lin: 3.0 (latest, cohort 2) − 1 (first baseline) = 2; Brol: 1 − 2 → 0; Nora 1; Kapok 0.
    assert figures["RCR01"] == Decimal("3.00")


def test_the_records_behind_rco01_show_the_repeat_as_not_counted(programme: Programme) -> None:
    rco01 = indicators.compute(Participant.objects.unscoped("test")).get("RCO01")
    by_ref = {r.reference: r for r in rco01.rows}
    assert set(by_ref) == {"C1-001", "C1-002", "C1-003", "C2-001", "C2-002"}
    assert by_ref["C1-001"].counted and not by_ref["C2-001"].counted
    assert by_ref["C1-001"].enterprise_key == by_ref["C2-001"].enterprise_key == "0403170701"
    assert by_ref["C1-001"].person == "Lina Verhoeven"
    assert by_ref["C1-001"].cohort == "Cohort 1"
    assert by_ref["C1-001"].values["grants_paid"] == Decimal("1420.50")
    assert by_ref["C1-002"].values["grants_paid"] == Decimal("0.00")
    assert rco01.value == sum(1 for r in rco01.rows if r.counted)


def test_rcr01_records_hold_baseline_latest_follow_up_and_jobs_created(
    programme: Programme,
) -> None:
    rcr01 = indicators.compute(Participant.objects.unscoped("test")).get("RCR01")
    lin = next(r for r in rcr01.rows if r.reference == "C1-001")
    assert lin.values == {
        "baseline_fte": Decimal("1.00"),
        "follow_up_on": date(2026, 11, 30),
        "latest_fte": Decimal("3.00"),
        "jobs_created": Decimal("2.00"),
    }
    brol = next(r for r in rcr01.rows if r.reference == "C1-002")
    assert brol.values["jobs_created"] == Decimal("0.00")  # fewer jobs: never negative
    kapok = next(r for r in rcr01.rows if r.reference == "C2-002")
    assert kapok.values["latest_fte"] is None and kapok.values["jobs_created"] == 0


def test_one_cohort(programme: Programme) -> None:
    figures = _figures(Scope(cohort=programme.cohort1))
    assert figures == {
        "RCO01": 3,
        "RCO04": 2,
        "RCO05": 1,
        # Cohort 1 alone: Lin's latest follow-up of its cohort-1 participation is 2.5.
        "RCR01": Decimal("2.50"),
    }
    assert _figures(Scope(cohort=programme.cohort2))["RCO01"] == 2


def test_a_period_takes_the_participations_overlapping_it(programme: Programme) -> None:
    # Only cohort 1 runs in the first half of 2026.
    first_half = Scope(period_from=date(2026, 1, 1), period_to=date(2026, 6, 30))
    figures = _figures(first_half)
    assert figures["RCO01"] == 3
    # Follow-ups up to 30 June 2026: Lin 2.5 − 1 = 1.5, Brol 0, Nora 1.
    assert figures["RCR01"] == Decimal("2.50")
    # Until the end of 2025: the follow-ups of 2026 do not count yet.
    assert _figures(Scope(period_to=date(2025, 12, 31)))["RCR01"] == Decimal("0.00")
    # Cohort 2 only (from September 2026): Lin's second participation attended S1.
    later = _figures(Scope(period_from=date(2026, 9, 1)))
    assert later["RCO01"] == 2 and later["RCO04"] == 1


def test_figures_follow_the_records(programme: Programme) -> None:
    """Nothing is typed: a new follow-up changes RCR01 at once."""
    follow_up(programme.participants["kapok"], date(2026, 12, 1), "1.75")
    assert _figures()["RCR01"] == Decimal("4.75")
    EmploymentRecord.objects.unscoped("test").filter(
        participant=programme.participants["kapok"]
    ).delete()
    assert _figures()["RCR01"] == Decimal("3.00")


def test_no_participant_gives_zeros(db: object) -> None:
    assert _figures() == {"RCO01": 0, "RCO04": 0, "RCO05": 0, "RCR01": Decimal("0.00")}


def test_every_figure_has_a_definition_naming_it() -> None:
    for code in ("RCO01", "RCO04", "RCO05", "RCR01"):
        d = indicators.DEFINITIONS[code]
        assert str(d.name) and len(str(d.definition)) > 80
        for word in ("formation", "training", "opleiding"):
            assert word not in str(d.definition).lower()


def test_scope_description() -> None:
    assert Scope().describe() == "all cohorts, whole programme"
    assert Scope(period_from=date(2026, 1, 1), period_to=date(2026, 6, 30)).describe() == (
        "from 2026-01-01 to 2026-06-30"
    )
