"""The download package and the instructions PDF: what is inside, for whom, and safely."""

from __future__ import annotations

import csv
import io
import tomllib
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from reproduce.core.actor import ANONYMOUS, Actor
from reproduce.designs import okh, package
from reproduce.designs import services as ds
from reproduce.designs.models import DesignFile
from reproduce.designs.selectors import version_content
from reproduce.designs.tests.test_okh import FORMULA, blank, owner, stool
from reproduce.files.tests.samples import STEP, image_bytes

pytestmark = pytest.mark.django_db

FIXED = ["README.txt", "okh.toml", "bom.csv", "instructions.pdf"]
DESIGN_FILES = ["files/foot.step", "files/foot.stl", "files/panel.dxf", "files/photo.png"]


def _zip(actor: Actor, version: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(package.build_package(actor, version)))


def test_owner_package_holds_everything_in_a_fixed_order(network: Any) -> None:
    version = stool(network.a)
    archive = _zip(owner(network.a), version)
    # The owner's own internal file is in the owner's package.
    assert archive.namelist() == [*FIXED, "files/costing.pdf", *DESIGN_FILES]
    assert archive.testzip() is None
    assert archive.read("instructions.pdf").startswith(b"%PDF")
    assert archive.read("files/foot.step") == STEP
    assert archive.read("files/photo.png") == image_bytes()
    again = _zip(owner(network.a), version)
    assert [(i.filename, i.date_time) for i in again.infolist()] == [
        (i.filename, i.date_time) for i in archive.infolist()
    ]
    assert package.package_filename(version) == "tabouret-bruxellois-1.0.zip"


@pytest.mark.parametrize("who", ["foreign member", "anonymous"])
def test_internal_files_stay_out_of_other_peoples_packages(network: Any, who: str) -> None:
    version = stool(network.a)
    actor = owner(network.b) if who == "foreign member" else ANONYMOUS
    archive = _zip(actor, version)
    assert archive.namelist() == [*FIXED, *DESIGN_FILES]
    assert "costing" not in archive.read("okh.toml").decode()
    assert "costing" not in archive.read("README.txt").decode()


def test_bom_csv_parses_and_neutralises_formulas(network: Any) -> None:
    archive = _zip(owner(network.a), stool(network.a))
    rows = list(csv.reader(io.StringIO(archive.read("bom.csv").decode("utf-8-sig"))))
    assert rows[0] == package.BOM_COLUMNS
    by_item = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    plywood, screw = by_item["Birch plywood"], by_item["Screw M4"]
    assert plywood["kind"] == "material" and plywood["material"] == "plywood"
    assert (plywood["quantity"], plywood["unit"], plywood["unit_symbol"]) == ("0.75", "MTK", "m²")
    assert plywood["specification"] == "18 mm"
    assert (screw["quantity"], screw["unit"], screw["unit_symbol"]) == ("100", "C62", "pc")
    assert screw["reference"] == "S1" and screw["supplier"] == "Brico"
    # A spreadsheet must not run the cell: it is prefixed, never left starting with "=".
    assert screw["supplier_reference"].startswith("'=")
    assert FORMULA.replace("|", "\\|") in screw["supplier_reference"]


def test_bom_csv_names_the_component_version_of_a_sub_design(network: Any) -> None:
    actor, org = owner(network.a), network.a.org
    leg = stool(network.a, name="Leg")
    table = blank(network.a)
    item = ds.item_for_design(actor=actor, organization=org, design=leg.design)
    ds.add_bom_line(actor=actor, version=table, item=item, quantity=Decimal(4))
    rows = list(csv.reader(io.StringIO(package.bom_csv(table))))
    assert rows[1][1:5] == ["Leg", "design", "4", "C62"]
    assert rows[1][-1] == "Leg 1.0"


def test_package_manifest_points_at_its_own_members(network: Any) -> None:
    archive = _zip(ANONYMOUS, stool(network.a))
    text = archive.read("okh.toml").decode()
    manifest = tomllib.loads(text)
    assert okh.validate_okh(manifest, "v2") == []
    assert manifest["bom"] == "bom.csv"
    assert manifest["manufacturing-instructions"] == "instructions.pdf"
    assert manifest["readme"] == "README.txt"
    referenced = [*manifest["source"], *manifest["export"], manifest["image"][0]["location"]]
    assert set(referenced) <= set(archive.namelist())
    assert manifest["repo"].startswith("http")  # the web page: the one absolute link


def test_readme_says_what_the_package_holds_and_credits_the_original(network: Any) -> None:
    original = stool(network.a)
    fork = ds.fork_design(actor=owner(network.b), version=original, organization=network.b.org)
    archive = _zip(owner(network.b), fork.versions.get())
    readme = archive.read("README.txt").decode()
    assert "Licence: Creative Commons Attribution-ShareAlike 4.0 (CC-BY-SA-4.0)" in readme
    assert f"Attribution: {fork.attribution}" in readme
    assert "Atelier BruCycle" in fork.attribution
    for name in FIXED:
        assert name in readme
    assert "foot.stl" in readme


def test_member_names_cannot_climb_out_and_never_collide() -> None:
    files = [
        DesignFile(pk=1, filename="../../etc/passwd"),
        DesignFile(pk=2, filename="a.stl"),
        DesignFile(pk=3, filename="A.stl"),
        DesignFile(pk=4, filename="..\\..\\boot.ini"),
        DesignFile(pk=5, filename=".."),
    ]
    names = package._member_names(files)
    assert names == {
        1: "files/passwd",
        2: "files/a.stl",
        3: "files/A-2.stl",
        4: "files/boot.ini",
        5: "files/file",
    }


def test_a_design_without_anything_still_packages(network: Any) -> None:
    archive = _zip(owner(network.a), blank(network.a))
    assert archive.namelist() == FIXED
    assert archive.read("bom.csv").decode("utf-8-sig").strip() == ",".join(package.BOM_COLUMNS)
    assert archive.read("instructions.pdf").startswith(b"%PDF")


# ---------------------------------------------------------------- instructions PDF


def _html(actor: Actor, version: Any) -> str:
    content = version_content(actor, version)
    return render_to_string("designs/pdf/instructions.html", package._context(content))


def test_instructions_cover_the_whole_specification(network: Any) -> None:
    version = stool(network.a)
    html = _html(ANONYMOUS, version)
    for text in (
        "Tabouret bruxellois",
        "Creative Commons Attribution-ShareAlike 4.0 (CC-BY-SA-4.0)",
        "Atelier BruCycle",
        "Sit on it.",
        "Birch plywood, EN 636-2",
        "ISO 2768-m",
        "Oil twice",
        "Flat in kraft paper",
        "Cut the panels",
        "60 % power at 20 mm/s",
        "Close the lid",
        "Panel width",
        "300 ± 0,2 mm",  # numbers as written in Belgium, also in English
        "299,8 – 300,2 mm",
        "Calliper",
        "Wobble",
        "Sold in Anderlecht",
        "setup 10 min",
        "12,5 min per unit",
    ):
        assert text in html, text
    assert html.count('src="data:image/png;base64,') == 2  # the cover and the SOP step picture
    assert "http" not in html.split("<body>", 1)[1].replace(
        version.design.repository_url or "§", ""
    )


def test_instructions_follow_the_active_language(network: Any) -> None:
    version = stool(network.a)
    assert version.released_at is not None
    moment = timezone.localtime(version.released_at)
    with translation.override("fr"):
        html = _html(ANONYMOUS, version)
        pdf = package.instructions_pdf(ANONYMOUS, version)
        released = formats.date_format(moment, "DATE_FORMAT")
    assert '<html lang="fr">' in html
    assert released in html and released != formats.date_format(moment, "DATE_FORMAT")
    assert pdf.startswith(b"%PDF")
    for language in ("fr", "nl", "en"):
        with translation.override(language):
            assert "formation" not in _html(ANONYMOUS, version).lower()


def test_the_renderer_fetches_nothing() -> None:
    with pytest.raises(ValueError, match="data: URIs"):
        package._offline_fetcher("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(ValueError):
        package._offline_fetcher("file:///etc/passwd")
    assert package._offline_fetcher("data:text/plain;base64,aGk=")["file_obj"].read() == b"hi"


def test_instructions_pdf_for_a_draft_and_its_owner(network: Any) -> None:
    draft = network.a.designs["version"]
    pdf = package.instructions_pdf(owner(network.a), draft)
    assert pdf.startswith(b"%PDF")
    assert "Draft: this version may still change." in _html(owner(network.a), draft)
