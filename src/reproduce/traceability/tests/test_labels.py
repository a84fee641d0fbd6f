"""QR labels: the persistent address, and PDF sheets in the common formats."""

from __future__ import annotations

import re
import zlib

import pytest
from django.urls import reverse

from reproduce.inventory.models import Lot
from reproduce.traceability import labels
from reproduce.traceability.identifiers import code_from_scan, epc_class, label_url
from reproduce.traceability.tests.conftest import GTIN

pytestmark = pytest.mark.django_db


def test_the_label_address_is_a_digital_link_when_there_is_a_gtin(settings):
    settings.SITE_URL = "https://reproduce.brussels/"
    with_gtin = Lot(code="SHEETS-001", gtin="0" + GTIN)
    assert label_url(with_gtin) == f"https://reproduce.brussels/01/0{GTIN}/10/SHEETS-001"
    assert label_url(Lot(code="L7XK2P9QA")) == "https://reproduce.brussels/lot/L7XK2P9QA"
    assert epc_class("SHEETS-001", GTIN) == f"https://id.gs1.org/01/0{GTIN}/10/SHEETS-001"
    assert epc_class("B.1", "") == "https://reproduce.brussels/lot/B.1"


@pytest.mark.parametrize(
    ("scanned", "code"),
    [
        ("L7XK2P9QA", "L7XK2P9QA"),
        (" https://reproduce.brussels/lot/L7XK2P9QA ", "L7XK2P9QA"),
        (f"https://reproduce.brussels/01/0{GTIN}/10/SHEETS-001?x=1", "SHEETS-001"),
    ],
)
def test_a_scanned_address_gives_the_code(scanned, code):
    assert code_from_scan(scanned) == code


def _text(pdf: bytes) -> str:
    """Uncompressed PDF text, with the Flate streams inflated (link annotations may be in
    compressed object streams)."""
    parts = [pdf.decode("latin-1")]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(parts)


@pytest.mark.parametrize("sheet", sorted(labels.SHEETS))
def test_every_sheet_format_prints(chain, world, client_for, sheet, settings):
    settings.SITE_URL = "https://reproduce.brussels"
    response = client_for(world.y.operator).get(
        reverse("traceability:labels", args=["SHEETS-001"]),
        {"sheet": sheet, "copies": 2, "start": 1},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"https://reproduce.brussels/01/0{GTIN}/10/SHEETS-001" in _text(response.content)


def test_positions_skip_used_labels_and_fill_pages():
    sheet = labels.SHEETS["L7160"]
    made = [labels.Label("C", "I", "1 kg", "2025-01-01", "O", "u", "q")] * 25
    pages = labels._pages(sheet, made, start=5)
    assert [len(p) for p in pages] == [17, 8]
    assert pages[0][0]["top"] == pytest.approx(15.15 + 38.1)  # 5th label: row 2, column 2
    assert pages[0][0]["left"] == pytest.approx(7.25 + 66.0)


def test_receipt_and_work_order_sheets(chain, world, client_for):
    x = client_for(world.x.operator)
    receipt = chain.waste.receipt_id
    response = x.get(reverse("traceability:receipt_labels", args=[receipt]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert (
        client_for(world.y.operator)
        .get(reverse("traceability:receipt_labels", args=[receipt]))
        .status_code
        == 404
    )
    work = reverse("traceability:work_order_labels", args=[chain.work_order.pk])
    assert client_for(world.y.operator).get(work).content.startswith(b"%PDF")
    assert client_for(world.coordinator).get(work).status_code == 403


def test_only_the_holders_print_labels(chain, world, client_for):
    url = reverse("traceability:labels", args=["PULP-001"])
    assert client_for(world.x.operator).get(url).status_code == 200  # owner
    assert client_for(world.y.operator).get(url).status_code == 200  # custodian
    assert client_for(world.z.operator).get(url).status_code == 404
    assert client_for(world.coordinator).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302


def test_options_left_out_of_the_address_keep_their_defaults(rf):
    from reproduce.traceability.views import _label_options

    sheet, copies, start = _label_options(rf.get("/", {"copies": "3"}))
    assert (sheet.code, copies, start) == (labels.DEFAULT_SHEET, 3, 1)
    sheet, copies, start = _label_options(rf.get("/", {"copies": "0", "sheet": "L7651"}))
    assert (sheet.code, copies, start) == (labels.DEFAULT_SHEET, 1, 1)  # refused: defaults
