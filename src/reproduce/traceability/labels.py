"""QR labels of lots as a PDF, on common label sheets or a 62 mm roll.

Each label carries the QR code of the lot's persistent address (see
:func:`reproduce.traceability.identifiers.label_url`), its code, item, quantity, date and
owner. The QR code is an SVG made by segno and embedded as a ``data:`` URI: WeasyPrint draws
it as vectors (sharp on any printer) and never reaches the network or the disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import segno
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from reproduce.designs.models import UNIT_SYMBOLS
from reproduce.inventory.models import EntryKind, Lot, StockEntry
from reproduce.traceability.identifiers import label_url


@dataclass(frozen=True)
class Sheet:
    """A label layout, in millimetres (A4 sheets are 210 × 297)."""

    code: str
    name: Any
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    top: float
    left: float
    column_gap: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def small(self) -> bool:
        return self.label_height < 30


# Avery/Zweckform A4 sheets (pitch = label + gap; margins centre the grid) and a 62 mm
# continuous roll of Brother QL printers (one label per page).
SHEETS: dict[str, Sheet] = {
    s.code: s
    for s in (
        Sheet(
            "L7160",
            _("Avery L7160: 21 labels of 63.5 × 38.1 mm (A4)"),
            210,
            297,
            3,
            7,
            63.5,
            38.1,
            15.15,
            7.25,
            2.5,
        ),
        Sheet(
            "L7163",
            _("Avery L7163: 14 labels of 99.1 × 38.1 mm (A4)"),
            210,
            297,
            2,
            7,
            99.1,
            38.1,
            15.15,
            4.65,
            2.5,
        ),
        Sheet(
            "L7651",
            _("Avery L7651: 65 labels of 38.1 × 21.2 mm (A4)"),
            210,
            297,
            5,
            13,
            38.1,
            21.2,
            10.7,
            4.75,
            2.5,
        ),
        Sheet("ROLL62", _("Roll of 62 mm labels, 62 × 40 mm each"), 62, 40, 1, 1, 62, 40, 0, 0),
    )
}
DEFAULT_SHEET = "L7160"
MAX_LABELS = 1000


@dataclass
class Label:
    code: str
    item: str
    quantity: str
    date: str
    owner: str
    url: str
    qr: str  # data: URI of the SVG


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG ``data:`` URI (error correction M survives scuffs;
    a quiet zone of two modules, the label's padding adds the rest)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(border=2, dark="#000")  # type: ignore[no-any-return]


def _made(lot_ids: Iterable[int]) -> dict[int, Decimal]:
    rows = (
        StockEntry.objects.unscoped("quantities of lots whose labels the caller may print")
        .filter(lot_id__in=list(lot_ids))
        .values("lot")
        .annotate(
            made=Sum(
                "quantity",
                filter=Q(kind__in=(EntryKind.RECEIPT, EntryKind.PRODUCTION)),
            )
        )
        .order_by()
    )
    return {r["lot"]: r["made"] or Decimal(0) for r in rows}


def _quantity(value: Decimal | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f} {UNIT_SYMBOLS.get(unit, unit)}"


def labels_for(lots: Sequence[Lot], *, copies: int = 1, base: str | None = None) -> list[Label]:
    """One label per lot and copy (``lots`` loaded with their item and owner)."""
    made = _made(lot.pk for lot in lots)
    found = []
    for lot in lots:
        url = label_url(lot, base)
        label = Label(
            code=lot.code,
            item=lot.item.name,
            quantity=_quantity(made.get(lot.pk), lot.unit),
            date=lot.created_at.date().isoformat(),
            owner=lot.owner.name,
            url=url,
            qr=qr_data_uri(url),
        )
        found.extend([label] * copies)
    return found[:MAX_LABELS]


def _offline_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Only ``data:`` URIs: the renderer never reaches the network or the disk."""
    if not url.startswith("data:"):
        raise ValueError("only embedded data: URIs are allowed in a label sheet")
    from weasyprint.urls import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)  # type: ignore[no-any-return]


def _pages(sheet: Sheet, labels: list[Label], start: int) -> list[list[dict[str, Any]]]:
    """Labels placed on pages; ``start`` skips the first used positions of the first sheet."""
    slots: list[Label | None] = [None] * (start - 1) + list(labels)
    pages = []
    for first in range(0, len(slots), sheet.per_page):
        cells = []
        for index, label in enumerate(slots[first : first + sheet.per_page]):
            if label is None:
                continue
            row, column = divmod(index, sheet.columns)
            cells.append(
                {
                    "label": label,
                    "top": sheet.top + row * sheet.label_height,
                    "left": sheet.left + column * (sheet.label_width + sheet.column_gap),
                }
            )
        pages.append(cells)
    return pages


def render_pdf(sheet: Sheet, labels: list[Label], *, start: int = 1) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is made

    start = max(1, min(start, sheet.per_page))
    html = render_to_string(
        "traceability/labels.html",
        {"sheet": sheet, "pages": _pages(sheet, labels, start)},
    )
    pdf = HTML(string=html, url_fetcher=_offline_fetcher).write_pdf()
    assert pdf is not None
    return pdf
