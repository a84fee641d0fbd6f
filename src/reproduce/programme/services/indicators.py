"""FEDER/EFRO indicators of the programme, computed from the records, never typed.

Common output and result indicators of Regulation (EU) 2021/1058 (ERDF and Cohesion Fund),
Annex I, as the programme reports them:

* **RCO01 Enterprises supported** — distinct enterprises that took part in a cohort.
* **RCO04 Enterprises with non-financial support** — distinct enterprises that attended at
  least one session (workshop, coaching, session d'apprentissage) of their cohort.
* **RCO05 New enterprises supported** — distinct supported enterprises recorded as new.
* **RCR01 Jobs created in supported entities (FTE)** — per enterprise, the latest employment
  follow-up minus the jobs at the start, never negative, summed.

An enterprise is keyed on ``Participant.enterprise_key`` (its enterprise number when it has
one): one taking part in two cohorts counts once. Each figure carries the rows behind it, one
per participation, with ``counted`` false for a repeat of an enterprise already counted.

Filters: one cohort, and/or a period (participations whose accompaniment overlaps it; for
RCO04 the sessions held in it; for RCR01 the latest follow-up up to its end). The figures keep
their values after personal data are erased (``services.retention``): only the person is
forgotten, not the enterprise key, the flags, the baseline, follow-ups and grants.

Functions here are pure reads over a queryset of participants the caller chose (an officer's
``visible_to`` or an operator command's ``unscoped``); :func:`write_workbook` turns a report
into an XLSX workbook (openpyxl, see docs/decisions/0004-xlsx-workbooks.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reproduce.programme.models import (
    AttendanceStatus,
    Cohort,
    EmploymentRecord,
    GrantState,
    Participant,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Definition:
    code: str
    name: Any  # lazy translation
    unit: Any
    definition: Any


DEFINITIONS: dict[str, Definition] = {
    d.code: d
    for d in (
        Definition(
            "RCO01",
            gettext_lazy("Enterprises supported"),
            gettext_lazy("enterprises"),
            gettext_lazy(
                "Enterprises that took part in a cohort of the accompaniment programme "
                "(workshops, access to a host fablab, grants). Each enterprise is counted once, "
                "by its enterprise number (KBO/BCE), whatever the number of cohorts it took "
                "part in; a future entrepreneur without a number counts as one enterprise."
            ),
        ),
        Definition(
            "RCO04",
            gettext_lazy("Enterprises with non-financial support"),
            gettext_lazy("enterprises"),
            gettext_lazy(
                "Enterprises supported that received non-financial support: present at one "
                "session of their cohort at least (bootcamp, workshops, coaching, learning "
                "sessions) in the period. Each enterprise is counted once."
            ),
        ),
        Definition(
            "RCO05",
            gettext_lazy("New enterprises supported"),
            gettext_lazy("enterprises"),
            gettext_lazy(
                "Enterprises supported that are new: recorded as created during or after the "
                "start of their accompaniment (typically a future entrepreneur who registers "
                "an enterprise). Each enterprise is counted once."
            ),
        ),
        Definition(
            "RCR01",
            gettext_lazy("Jobs created in supported entities"),
            gettext_lazy("full-time equivalents"),
            gettext_lazy(
                "Jobs created in the enterprises supported, in full-time equivalents: for each "
                "enterprise, the jobs of its latest employment follow-up (up to the end of the "
                "period) minus its jobs at the start of its first accompaniment, never less "
                "than zero; summed over the enterprises, each once. An enterprise without a "
                "follow-up yet counts zero."
            ),
        ),
    )
}
REGULATION = gettext_lazy(
    "Common indicators of Regulation (EU) 2021/1058 (ERDF), Annex I. Computed from the records "
    "of the platform, never typed."
)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str = "text"  # text, number, date, bool


@dataclass(frozen=True)
class Row:
    """One participation behind a figure."""

    participant_id: int
    reference: str  # the application's reference (kept after erasure)
    person: str  # "" once personal data are erased
    enterprise_key: str
    enterprise: str
    call: str
    cohort: str
    counted: bool  # false: this enterprise was already counted on another row
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Indicator:
    code: str
    value: int | Decimal
    rows: list[Row]
    columns: list[Column]  # the indicator's own values on each row

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.code]

    @property
    def name(self) -> str:
        return str(self.definition.name)

    @property
    def lines(self) -> list[tuple[Row, list[tuple[Column, Any]]]]:
        """Each row with its values in the order of ``columns`` (for tables)."""
        return [(r, [(c, r.values.get(c.key)) for c in self.columns]) for r in self.rows]


@dataclass(frozen=True)
class Scope:
    """What the figures cover: a cohort, a period, both or everything."""

    cohort: Cohort | None = None
    period_from: date | None = None
    period_to: date | None = None

    def describe(self) -> str:
        parts = []
        if self.cohort is not None:
            parts.append(self.cohort.name)
        if self.period_from and self.period_to:
            parts.append(
                _("from %(start)s to %(end)s")
                % {"start": self.period_from.isoformat(), "end": self.period_to.isoformat()}
            )
        elif self.period_from:
            parts.append(_("from %(start)s") % {"start": self.period_from.isoformat()})
        elif self.period_to:
            parts.append(_("until %(end)s") % {"end": self.period_to.isoformat()})
        return " · ".join(parts) or _("all cohorts, whole programme")


@dataclass(frozen=True)
class Report:
    scope: Scope
    indicators: list[Indicator]
    computed_at: datetime

    def get(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)


# ---------------------------------------------------------------- selecting participations


def in_scope(participants: QuerySet[Participant], scope: Scope) -> QuerySet[Participant]:
    """The participations the figures cover: of the cohort, overlapping the period."""
    if scope.cohort is not None:
        participants = participants.filter(cohort=scope.cohort)
    if scope.period_to is not None:
        participants = participants.filter(cohort__starts_on__lte=scope.period_to)
    if scope.period_from is not None:
        participants = participants.filter(cohort__ends_on__gte=scope.period_from)
    return participants.select_related("application", "cohort__call").order_by(
        "cohort__starts_on", "joined_at", "pk"
    )


def _row(p: Participant, counted: bool, values: dict[str, Any]) -> Row:
    app = p.application
    return Row(
        participant_id=p.pk,
        reference=app.reference,
        person=app.full_name,
        enterprise_key=p.enterprise_key,
        enterprise=app.enterprise_name,
        call=p.cohort.call.text("title"),
        cohort=p.cohort.name,
        counted=counted,
        values=values,
    )


def _once_per_enterprise(
    participations: Iterable[Participant],
) -> list[tuple[Participant, bool]]:
    """Each participation with whether it is the first of its enterprise (the counted one)."""
    seen: set[str] = set()
    out = []
    for p in participations:
        out.append((p, p.enterprise_key not in seen))
        seen.add(p.enterprise_key)
    return out


# ---------------------------------------------------------------- the indicators


def rco01(participants: QuerySet[Participant]) -> Indicator:
    """Enterprises supported: distinct enterprise keys of the participations."""
    annotated = participants.annotate(
        paid=Sum("grants__amount", filter=Q(grants__state=GrantState.PAID)),
    )
    rows = [
        _row(
            p,
            counted,
            {
                "state": p.get_state_display(),
                # SQLite sums decimals as floats: back to cents.
                "grants_paid": Decimal(p.paid or ZERO).quantize(CENT),  # type: ignore[attr-defined]
            },
        )
        for p, counted in _once_per_enterprise(annotated)
    ]
    return Indicator(
        code="RCO01",
        value=sum(1 for r in rows if r.counted),
        rows=rows,
        columns=[
            Column("state", gettext_lazy("Status")),
            Column("grants_paid", gettext_lazy("Grants paid (EUR)"), "number"),
        ],
    )


def rco04(participants: QuerySet[Participant], scope: Scope) -> Indicator:
    """Enterprises with non-financial support: present at one session at least."""
    present = Q(attendance__status=AttendanceStatus.PRESENT)
    if scope.period_from is not None:
        present &= Q(attendance__session__starts_at__date__gte=scope.period_from)
    if scope.period_to is not None:
        present &= Q(attendance__session__starts_at__date__lte=scope.period_to)
    supported = participants.annotate(sessions=Count("attendance", filter=present)).filter(
        sessions__gt=0
    )
    rows = [
        _row(p, counted, {"sessions_attended": p.sessions})  # type: ignore[attr-defined]
        for p, counted in _once_per_enterprise(supported)
    ]
    return Indicator(
        code="RCO04",
        value=sum(1 for r in rows if r.counted),
        rows=rows,
        columns=[Column("sessions_attended", gettext_lazy("Sessions attended"), "number")],
    )


def rco05(participants: QuerySet[Participant]) -> Indicator:
    """New enterprises supported: participations flagged as a new enterprise."""
    rows = [
        _row(p, counted, {"is_new_enterprise": True})
        for p, counted in _once_per_enterprise(participants.filter(is_new_enterprise=True))
    ]
    return Indicator(
        code="RCO05",
        value=sum(1 for r in rows if r.counted),
        rows=rows,
        columns=[Column("is_new_enterprise", gettext_lazy("New enterprise"), "bool")],
    )


def _latest_follow_ups(
    participants: QuerySet[Participant], until: date | None
) -> dict[str, EmploymentRecord]:
    """The latest employment record of each enterprise (over all its participations)."""
    records = EmploymentRecord.objects.unscoped("follow-ups of participations already scoped")
    records = records.filter(participant__in=participants.values("pk"))
    if until is not None:
        records = records.filter(on__lte=until)
    latest: dict[str, EmploymentRecord] = {}
    for record in records.select_related("participant").order_by("on", "pk"):
        latest[record.participant.enterprise_key] = record  # later ones overwrite
    return latest


def rcr01(participants: QuerySet[Participant], scope: Scope) -> Indicator:
    """Jobs created (FTE): latest follow-up minus the baseline of the first participation."""
    latest = _latest_follow_ups(participants, scope.period_to)
    rows = []
    total = ZERO
    for p, counted in _once_per_enterprise(participants):
        record = latest.get(p.enterprise_key) if counted else None
        created = max(ZERO, record.fte - p.baseline_fte) if record is not None else ZERO
        if counted:
            total += created
        values = {
            "baseline_fte": p.baseline_fte,
            "follow_up_on": record.on if record else None,
            "latest_fte": record.fte if record else None,
            "jobs_created": created if counted else None,
        }
        rows.append(_row(p, counted, values))
    return Indicator(
        code="RCR01",
        value=total,
        rows=rows,
        columns=[
            Column("baseline_fte", gettext_lazy("Jobs at the start (FTE)"), "number"),
            Column("follow_up_on", gettext_lazy("Latest follow-up"), "date"),
            Column("latest_fte", gettext_lazy("Jobs at the latest follow-up (FTE)"), "number"),
            Column("jobs_created", gettext_lazy("Jobs created (FTE)"), "number"),
        ],
    )


def compute(participants: QuerySet[Participant], scope: Scope | None = None) -> Report:
    """All four indicators over the participations of ``participants`` within ``scope``."""
    scope = scope or Scope()
    chosen = in_scope(participants, scope)
    return Report(
        scope=scope,
        indicators=[rco01(chosen), rco04(chosen, scope), rco05(chosen), rcr01(chosen, scope)],
        computed_at=timezone.now(),
    )


# ---------------------------------------------------------------- the workbook

# A spreadsheet runs a cell starting with these as a formula (or DDE); tab and carriage
# return let a pasted value start a new cell that does. Plain numbers ("-3.5") stay numbers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "|", "%")
_PLAIN_NUMBER = re.compile(r"^-?[0-9][0-9,.]*$")
# Characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet will run: text that would start a formula gets a
    leading apostrophe (as defusedcsv does for CSV); other values pass unchanged."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", value)
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # XLSX numbers are doubles; FTE and euros have two decimals
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return ""
    return neutralise(str(value)) if not isinstance(value, int | float | date) else value


def _write_rows(sheet: Any, rows: list[list[Any]]) -> None:
    from openpyxl.cell.cell import TYPE_STRING

    for row in rows:
        sheet.append([_cell_value(v) for v in row])
        for cell, original in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # never a formula, whatever openpyxl guessed
            elif isinstance(original, Decimal):
                cell.number_format = "#,##0.00"  # FTE and euros
            elif isinstance(original, date):
                cell.number_format = "yyyy-mm-dd"


def _style_header(sheet: Any, row: int, widths: list[int]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for cell in sheet[row]:
        cell.font = Font(bold=True)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _summary_sheet(book: Any, report: Report) -> None:
    from openpyxl.styles import Alignment

    sheet = book.active
    sheet.title = _("Summary")[:31]
    _write_rows(
        sheet,
        [
            [_("FEDER/EFRO indicators — ReProduce accompaniment programme")],
            [str(REGULATION)],
            [_("Scope"), report.scope.describe()],
            [_("Computed"), timezone.localtime(report.computed_at).strftime("%Y-%m-%d %H:%M")],
            [],
            [_("Indicator"), _("Name"), _("Definition"), _("Value"), _("Unit"), _("Period")],
        ],
    )
    _style_header(sheet, 6, [10, 36, 90, 10, 22, 36])
    for indicator in report.indicators:
        d = indicator.definition
        _write_rows(
            sheet,
            [
                [
                    d.code,
                    str(d.name),
                    str(d.definition),
                    indicator.value,
                    str(d.unit),
                    report.scope.describe(),
                ]
            ],
        )
        sheet.cell(row=sheet.max_row, column=3).alignment = Alignment(wrap_text=True)
    sheet.freeze_panes = "A7"


def _indicator_sheet(book: Any, indicator: Indicator) -> None:
    sheet = book.create_sheet(indicator.code)
    header = [
        _("Application"),
        _("Participant"),
        _("Enterprise key"),
        _("Enterprise"),
        _("Call"),
        _("Cohort"),
        _("Counted"),
        *[str(c.label) for c in indicator.columns],
    ]
    _write_rows(sheet, [[f"{indicator.code} {indicator.name}", indicator.value], [], header])
    _style_header(sheet, 3, [14, 26, 18, 30, 40, 30, 10] + [18] * len(indicator.columns))
    for r in indicator.rows:
        _write_rows(
            sheet,
            [
                [
                    r.reference,
                    r.person or _("(erased)"),
                    r.enterprise_key,
                    r.enterprise,
                    r.call,
                    r.cohort,
                    r.counted,
                    *[r.values.get(c.key) for c in indicator.columns],
                ]
            ],
        )
    sheet.freeze_panes = "A4"


def write_workbook(report: Report, stream: IO[bytes]) -> None:
    """The workbook: a summary sheet (indicator, definition, value, period), then one sheet
    per indicator with the participations behind its figure."""
    from openpyxl import Workbook

    book = Workbook()
    _summary_sheet(book, report)
    for indicator in report.indicators:
        _indicator_sheet(book, indicator)
    book.save(stream)
