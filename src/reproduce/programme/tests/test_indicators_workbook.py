"""The FEDER workbook: a summary sheet, a sheet per indicator with its records, no formula."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from reproduce.programme.models import Application, Participant
from reproduce.programme.services import indicators
from reproduce.programme.services.indicators import Scope, neutralise
from reproduce.programme.tests.fixtures_indicators import (
    Programme,
    programme_fixture,  # noqa: F401 - the "programme" fixture
)

pytestmark = pytest.mark.django_db


def _book(scope: Scope | None = None) -> Any:
    buffer = BytesIO()
    report = indicators.compute(Participant.objects.unscoped("test"), scope)
    indicators.write_workbook(report, buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def _summary(book: Any) -> dict[str, list[Any]]:
    rows = book["Summary"].iter_rows(min_row=6, values_only=True)
    return {r[0]: list(r) for r in rows if r[0]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+32 470 12 34 56", "'+32 470 12 34 56"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-3.5", "-3.5"),  # a plain number stays as it is
        ("Atelier Lin", "Atelier Lin"),
        ("bad\x00byte", "badbyte"),  # XML cannot hold it
        (Decimal("1.5"), Decimal("1.5")),
    ],
)
def test_text_that_would_run_as_a_formula_is_neutralised(value: Any, expected: Any) -> None:
    assert neutralise(value) == expected


def test_the_summary_sheet_has_each_indicator_with_definition_value_and_period(
    programme: Programme,
) -> None:
    book = _book()
    assert book.sheetnames == ["Summary", "RCO01", "RCO04", "RCO05", "RCR01"]
    summary = _summary(book)
    assert list(summary) == ["Indicator", "RCO01", "RCO04", "RCO05", "RCR01"]
    assert summary["Indicator"][:4] == ["Indicator", "Name", "Definition", "Value"]
    assert summary["RCO01"][1] == "Enterprises supported"
    assert "counted once" in summary["RCO01"][2]
    assert summary["RCO01"][3] == 4
    assert summary["RCR01"][3] == pytest.approx(3.0)
    assert summary["RCO01"][5] == "all cohorts, whole programme"
    assert "2021/1058" in book["Summary"]["A2"].value


def test_each_indicator_sheet_lists_the_records_behind_it(programme: Programme) -> None:
    sheet = _book()["RCO01"]
    assert sheet["A1"].value == "RCO01 Enterprises supported" and sheet["B1"].value == 4
    header = [c.value for c in sheet[3]]
    assert header[:7] == [
        "Application",
        "Participant",
        "Enterprise key",
        "Enterprise",
        "Call",
        "Cohort",
        "Counted",
    ]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 5
    lin = next(r for r in rows if r[0] == "C2-001")
    assert lin[1:7] == ("Lina Verhoeven", "0403170701", "Atelier Lin", "Call c2", "Cohort 2", "no")
    rcr01 = list(_book()["RCR01"].iter_rows(min_row=4, values_only=True))
    first = next(r for r in rcr01 if r[0] == "C1-001")
    assert (first[7], first[8].date(), first[9], first[10]) == (1.0, date(2026, 11, 30), 3.0, 2.0)


def test_a_formula_typed_by_an_applicant_never_reaches_the_workbook_as_a_formula(
    programme: Programme,
) -> None:
    Application.objects.unscoped("test").filter(reference="C1-002").update(
        enterprise_name='=HYPERLINK("http://evil.example","Papier")', first_name="@Marc"
    )
    sheet = _book()["RCO01"]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "C1-002")
    assert row[3].value == '\'=HYPERLINK("http://evil.example","Papier")'
    assert row[3].data_type == "s" and row[1].data_type == "s"
    assert row[1].value.startswith("'@Marc")
    formulas = [
        c.coordinate
        for ws in _book().worksheets
        for r in ws.iter_rows()
        for c in r
        if c.data_type == "f"
    ]
    assert formulas == []


def test_the_command_writes_the_workbook_of_the_database(
    programme: Programme, tmp_path: Path
) -> None:
    target = tmp_path / "feder.xlsx"
    out = StringIO()
    call_command("programme", "indicators", "--xlsx", str(target), "--language", "en", stdout=out)
    assert "RCO01  Enterprises supported: 4 enterprises" in out.getvalue()
    assert _summary(load_workbook(target))["RCO05"][3] == 2


def test_the_command_filters_by_cohort_and_period(programme: Programme, tmp_path: Path) -> None:
    target = tmp_path / "c1.xlsx"
    out = StringIO()
    call_command(
        "programme", "indicators", "--cohort", "c1", "--from", "2025-09-01", "--to",
        "2026-06-30", "--xlsx", str(target), "--language", "en", stdout=out,
    )  # fmt: skip
    summary = _summary(load_workbook(target))
    assert summary["RCO01"][3] == 3
    assert summary["RCO01"][5] == "Cohort 1 · from 2025-09-01 to 2026-06-30"
    by_id = StringIO()
    call_command("programme", "indicators", "--cohort", str(programme.cohort2.pk), stdout=by_id)
    assert "Cohort 2" in by_id.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ["--cohort", "nope"],
        ["--from", "2026-13-01"],
        ["--from", "2026-06-01", "--to", "2026-01-01"],
    ],
)
def test_the_command_refuses_bad_filters(programme: Programme, args: list[str]) -> None:
    with pytest.raises((CommandError, SystemExit)):
        call_command("programme", "indicators", *args, stdout=StringIO(), stderr=StringIO())
