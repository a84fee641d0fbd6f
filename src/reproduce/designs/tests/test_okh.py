"""Open Know-How: the export validates against the official v2 schema, the three official
flavours are read and mapped, invalid files write nothing. Designs are built through the
services; the real manifests of three projects are in ``data/`` (see data/README.md)."""

from __future__ import annotations

import io
import json
import re
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from reproduce.core.actor import Actor
from reproduce.core.models import AuditEvent
from reproduce.designs import okh
from reproduce.designs import services as ds
from reproduce.designs.models import (
    BomLine,
    Design,
    DesignVersion,
    DfmAnswer,
    License,
    VersionState,
    Visibility,
)
from reproduce.designs.services import DfmInput
from reproduce.files.tests.samples import STEP, dxf_bytes, image_bytes, pdf_bytes, stl_bytes
from reproduce.network.models import Material, Process

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SITE = "https://reproduce.example.org"
FORMULA = "=cmd|' /C calc'!A0"


def owner(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


def _add(actor: Actor, version: DesignVersion, data: bytes, name: str, role: str, **kw: Any) -> Any:
    return ds.add_file(
        actor=actor, version=version, upload=io.BytesIO(data), filename=name, role=role, **kw
    )


def stool(world: Any, *, release: bool = True, name: str = "Tabouret bruxellois") -> DesignVersion:
    """A fully documented design: files of every role (one internal), a BOM with a formula-like
    supplier reference, laser cutting + FDM printing + assembly, SOP steps with a picture and a
    safety note, QC checks, DFM answers; released 1.0, public and built once when ``release``."""
    actor, org = owner(world), world.org
    design = ds.create_design(
        actor=actor,
        organization=org,
        values={
            "name": name,
            "kind": "product",
            "summary": "A stool cut from one plywood sheet",
            "description": "<p>Flat-packed, no glue.</p>",
            "license": License.CC_BY_SA,
            "licensor": "Atelier BruCycle",
            "tags": ["mobilier", "bois"],
        },
    )
    version = design.versions.get()
    ds.update_version(
        actor=actor,
        version=version,
        values={
            "function": "<p>Sit on it.</p><p>Stack it.</p>",
            "material_notes": "<p>Birch plywood, EN 636-2</p>",
            "manufacturing_notes": "<p>Kerf 0.2 mm</p>",
            "general_tolerance": "m",
            "finishing_notes": "<p>Oil twice</p>",
            "packaging_notes": "<p>Flat in kraft paper</p>",
        },
    )
    photo = _add(actor, version, image_bytes(), "photo.png", "image", description="The stool")
    _add(actor, version, stl_bytes(), "foot.stl", "cad_exchange")
    _add(actor, version, STEP, "foot.step", "cad_native")
    _add(actor, version, dxf_bytes(), "panel.dxf", "drawing")
    _add(actor, version, pdf_bytes(), "costing.pdf", "other", is_internal=True)
    plywood = ds.create_item(
        actor=actor,
        organization=org,
        values={
            "kind": "material",
            "name": "Birch plywood",
            "material": Material.objects.get(code="plywood"),
            "specification": "18 mm",
            "default_unit": "MTK",
        },
    )
    screw = ds.create_item(
        actor=actor,
        organization=org,
        values={
            "kind": "part",
            "name": "Screw M4",
            "supplier": "Brico",
            "supplier_reference": FORMULA,
        },
    )
    ds.add_bom_line(actor=actor, version=version, item=plywood, quantity=Decimal("0.75"))
    ds.add_bom_line(actor=actor, version=version, item=screw, quantity=Decimal(100), reference="S1")
    cut = ds.add_operation(
        actor=actor,
        version=version,
        values={
            "name": "Cut the panels",
            "process": Process.objects.get(code="laser-cutting"),
            "material": Material.objects.get(code="plywood"),
            "parameters": "60 % power at 20 mm/s",
            "setup_minutes": Decimal(10),
            "unit_minutes": Decimal("12.5"),
        },
    )
    ds.add_operation(
        actor=actor,
        version=version,
        values={
            "name": "Print the feet",
            "process": Process.objects.get(code="fdm-printing"),
            "material": Material.objects.get(code="pla"),
        },
    )
    ds.add_operation(actor=actor, version=version, values={"name": "Assemble", "kind": "assembly"})
    ds.add_step(actor=actor, operation=cut, text="<p>Load the sheet</p>", image=photo)
    ds.add_step(actor=actor, operation=cut, text="<p>Start the job</p>", caution="Close the lid")
    ds.add_criterion(
        actor=actor,
        version=version,
        values={
            "operation": cut,
            "characteristic": "Panel width",
            "nominal": Decimal(300),
            "tolerance_minus": Decimal("0.2"),
            "tolerance_plus": Decimal("0.2"),
            "unit": "mm",
            "method": "Calliper",
        },
    )
    ds.add_criterion(
        actor=actor, version=version, values={"characteristic": "Wobble", "acceptance": "None"}
    )
    ds.answer_dfm(
        actor=actor,
        version=version,
        answers={"materials.available": DfmInput("yes", "Sold in Anderlecht")},
    )
    if release:
        ds.release_version(actor=actor, version=version, number="1.0")
        ds.set_visibility(actor=actor, design=design, visibility=Visibility.PUBLIC)
        ds.record_build(actor=actor, organization=org, version=version, built_on=date(2026, 1, 5))
    return version


def blank(world: Any) -> DesignVersion:
    design = ds.create_design(
        actor=owner(world), organization=world.org, values={"name": "Lamp", "kind": "product"}
    )
    return design.versions.get()


def _import(world: Any, name: str, data: bytes | None = None) -> okh.OkhImport:
    raw = (DATA / name).read_bytes() if data is None else data
    return okh.import_okh(actor=owner(world), organization=world.org, filename=name, data=raw)


# ---------------------------------------------------------------- schemas


def test_ecmascript_named_groups_become_python_named_groups() -> None:
    assert okh.python_pattern(r"^(?<lang>[a-z]{2})(-(?<region>[A-Z]{2}))?$") == (
        r"^(?P<lang>[a-z]{2})(-(?P<region>[A-Z]{2}))?$"
    )
    # A name repeated across alternatives gets a suffix; escapes, classes and
    # look-behinds are left alone.
    assert okh.python_pattern(r"(?<x>a)|(?<x>b)\(?<y>[(?<z>](?<=c)") == (
        r"(?P<x>a)|(?P<x_2>b)\(?<y>[(?<z>](?<=c)"
    )
    with pytest.raises(ValueError, match="back-references"):
        okh.python_pattern(r"(?<x>a)\k<x>")


@pytest.mark.parametrize("flavour", ["v1", "losh"])
def test_bcp47_pattern_is_adapted_in_memory_only(flavour: okh.Flavour) -> None:
    on_disk = okh.schema_path(flavour).read_text(encoding="utf-8")
    assert "(?<grandfathered>" in on_disk  # the copy stays byte-identical to upstream
    language = okh.load_schema(flavour)["$defs"]["language"]["pattern"]
    assert "(?P<grandfathered>" in language and "(?P<privateUse_2>" in language
    pattern = re.compile(language)
    for tag in ("en", "fr-BE", "en-GB-oed", "zh-Hant-TW", "x-private", "de-CH-1996"):
        assert pattern.search(tag), tag
    for tag in ("english language", "e", "fr_BE"):
        assert not pattern.search(tag), tag


def test_validation_errors_name_the_field() -> None:
    errors = okh.validate_okh(
        {"okhv": "2.4", "name": "x", "repo": "ftp://x", "license": 42, "function": "f"}, "v2"
    )
    assert "/: 'licensor' is a required property" in errors
    assert any(e.startswith("/license: 42 is not of type 'string'") for e in errors)
    assert any(e.startswith("/repo: ") for e in errors)
    v1 = okh.validate_okh(
        {"title": "t", "license": {"hardware": "MIT"}, "documentation-language": "not a tag"},
        "v1",
    )
    assert any(e.startswith("/documentation-language: 'not a tag' does not have") for e in v1)


# ---------------------------------------------------------------- export


def _valid(manifest: dict[str, Any]) -> dict[str, Any]:
    assert okh.validate_okh(manifest, "v2") == []
    # What is written is what is read: TOML keeps every value.
    assert tomllib.loads(okh.to_toml(manifest)) == manifest
    return manifest


def test_export_of_several_designs_validates_against_the_v2_schema(network: Any) -> None:
    versions = [
        stool(network.a),
        stool(network.a, release=False, name="Draft stool"),
        blank(network.a),  # no file, no BOM, no routing
        network.a.designs["version"],  # the fixture's private draft
        network.b.shared_designs["version"],
    ]
    for version in versions:
        _valid(okh.export_okh(version, base_url=SITE))
    assert okh.validate_okh(json.loads(json.dumps(okh.export_okh(versions[2]))), "v2") == []


def test_export_maps_a_released_design(network: Any) -> None:
    version = stool(network.a)
    files = {f.filename: f for f in version.files.all()}
    m = _valid(okh.export_okh(version, base_url=SITE + "/"))
    assert m["okhv"] == "2.4" and m["name"] == "Tabouret bruxellois" and m["version"] == "1.0"
    assert m["repo"] == f"{SITE}/fr/designs/{version.design.slug}/"
    assert m["license"] == "CC-BY-SA-4.0" and m["licensor"] == "Atelier BruCycle"
    assert m["organization"] == network.a.org.name
    assert m["function"] == "Sit on it.\nStack it."
    assert m["documentation-language"] == "fr"
    assert m["keywords"] == ["mobilier", "bois"]
    assert m["bom"] == f"{SITE}/api/v1/versions/{version.pk}/bom.csv"
    assert m["release"] == f"{SITE}/api/v1/versions/{version.pk}/package.zip"
    assert m["manufacturing-instructions"] == m["release"]
    assert m["tsdc"] == ["3DP", "ASM", "LAS"]
    assert m["printing-process"] == "FDM"
    assert m["technology-readiness-level"] == "OTRL-4"  # released and built once
    assert m["documentation-readiness-level"] in {"ODRL-2", "ODRL-3"}  # native sources given
    url = f"{SITE}/api/v1/design-files/{{}}/content"
    assert m["image"] == [
        {
            "location": url.format(files["photo.png"].pk),
            "depicts": "The stool",
            "slots": ["photo-thing-main"],
        }
    ]
    assert m["source"] == [url.format(files["foot.step"].pk)]
    assert [p["name"] for p in m["part"]] == ["foot", "panel"]  # the native STEP is a source
    parts = {p["name"]: p for p in m["part"]}
    assert parts["foot"]["tsdc"] == "3DP"
    assert parts["foot"]["material"] == "PLA (polylactic acid)"
    assert parts["foot"]["source"] == url.format(files["foot.step"].pk)
    assert parts["panel"]["tsdc"] == "LAS"
    # The internal costing sheet is never listed.
    assert str(files["costing.pdf"].pk) not in json.dumps(m)


def test_export_of_a_bare_draft_claims_nothing(network: Any) -> None:
    m = _valid(okh.export_okh(blank(network.a), base_url=SITE))
    for key in (
        "release",
        "bom",
        "image",
        "part",
        "tsdc",
        "technology-readiness-level",
        "documentation-readiness-level",
        "fork-of",
    ):
        assert key not in m, key
    assert m["function"] == "Lamp"  # required by OKH: the name when nothing else is known
    assert m["licensor"] == network.a.org.name


def test_export_of_a_fork_points_at_the_public_original(network: Any) -> None:
    original = stool(network.a)
    fork = ds.fork_design(actor=owner(network.b), version=original, organization=network.b.org)
    m = _valid(okh.export_okh(fork.versions.get(), base_url=SITE))
    assert m["fork-of"] == f"{SITE}/fr/designs/{original.design.slug}/"
    ds.set_visibility(actor=owner(network.a), design=original.design, visibility="private")
    assert "fork-of" not in okh.export_okh(fork.versions.get(), base_url=SITE)


def test_export_toml_defaults_to_the_site_url(network: Any, settings: Any) -> None:
    settings.SITE_URL = "https://reproduce.brussels/"
    text = okh.export_okh_toml(stool(network.a))
    assert text.startswith("# Open Know-How manifest (OKH v2.4)")
    assert tomllib.loads(text)["repo"].startswith("https://reproduce.brussels/fr/designs/")


# ---------------------------------------------------------------- import


def _design_count() -> int:
    return Design.objects.unscoped("test").count()


def test_import_planktoscope_losh(network: Any) -> None:
    report = _import(network.a, "planktoscope.okh.toml")
    design, version = report.design, report.version
    assert report.flavour == "losh"
    assert design.organization == network.a.org and design.visibility == Visibility.PRIVATE
    assert version.state == VersionState.DRAFT and version.number == "2.5"
    assert design.name == "PlanktoScope"
    assert design.license == "CERN-OHL-S-2.0"
    assert design.licensor.startswith("Thibaut Pollina, Romain Bazile")
    assert design.repository_url == "https://github.com/PlanktoScope/PlanktoScope"
    assert design.summary == "An open and affordable imaging platform for citizen oceanography"
    assert "citizen oceanography" in version.function
    for key in ("name", "function", "license", "licensor", "version", "repo", "bom", "part"):
        assert key in report.mapped, key
    for key in ("image", "source", "tsdc", "software", "documentation-language"):
        assert key in report.unmapped, key
    assert not set(report.mapped) & set(report.unmapped)
    # Links are noted, never fetched.
    assert "/hardware/bom.csv" in design.description
    assert "/docs/hardware/manufacturing.md" in design.description
    assert any("offline" in w for w in report.warnings)
    lines = list(BomLine.objects.owned_by(network.a.org).filter(version=version))
    assert [line.item.name for line in lines] == ["PlanktoScope-Case", "PlanktoScope-HAT"]
    assert {line.item.kind for line in lines} == {"part"}
    assert lines[0].item.specification == "TsDC CNC"
    assert "PlanktoScope-Case.dxf" in lines[0].notes
    assert AuditEvent.objects.filter(action="okh.imported", object_id=str(design.pk)).exists()


def test_import_nimble_keeps_the_licensor_address(network: Any) -> None:
    report = _import(network.a, "nimble.okh.toml")
    assert report.flavour == "losh"
    assert report.design.licensor == "Eric Nitschke <eric@wakoma.co>"
    assert report.version.number == "0.1.0"
    assert report.design.repository_url == "https://gitlab.com/Wakoma/nimble"
    assert "Wakoma" in report.design.description  # the organisation, as a note
    assert "organization" in report.mapped
    assert report.unmapped == ["image", "documentation-language"]


def test_import_openflexure_v1_yaml(network: Any) -> None:
    report = _import(network.a, "openflexure-microscope.okh.yml")
    design = report.design
    assert report.flavour == "v1"
    assert design.name == "OpenFlexure Microscope"
    assert report.version.number == "6.1.2"
    assert design.summary.startswith("The OpenFlexure Microscope is a 3D printable microscope")
    assert "Microscopy for research" in report.version.function
    assert design.licensor == "Richard Bowman (University of Bath)"
    assert design.repository_url == "https://openflexure.org/projects/microscope/"
    assert design.tags == ["open science", "microscopy", "fluorescence", "raspberry pi", "arduino"]
    # "CERN OHL v1.2" is not a licence the library offers: closed until a person chooses.
    assert design.license == License.PROPRIETARY
    assert "CERN OHL v1.2" in design.description
    assert any("CERN OHL v1.2" in w for w in report.warnings)
    assert "license.hardware" in report.mapped and "license.software" in report.mapped
    for key in ("making-instructions", "documentation-home", "design-files"):
        assert key in report.mapped, key
    assert 'href="https://build.openflexure.org/openflexure-microscope/latest/docs/"' in (
        design.description
    )
    for key in ("date-created", "manifest-author", "contact", "image", "software", "made"):
        assert key in report.unmapped, key


def test_an_unknown_version_becomes_0_1_with_a_warning(network: Any) -> None:
    data = (DATA / "nimble.okh.toml").read_bytes().replace(b'"0.1.0"', b'"1.0.0-beta"')
    report = _import(network.a, "nimble.okh.toml", data)
    assert report.version.number == "0.1"
    assert any("1.0.0-beta" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'name = "x"\nrepo = "https://x.org"\nlicense = "MIT"\nlicensor = "a"\nfunction = "f"\n',
         "'okhv' is a required property"),
        (b'okhv = "2.4"\nname = "x"\nrepo = "https://x.org"\nlicense = 42\nlicensor = "a"\n'
         b'function = "f"\n', "/license: 42 is not of type 'string'"),
    ],
)  # fmt: skip
def test_a_manifest_refused_by_its_schema_writes_nothing(
    network: Any, content: bytes, fragment: str
) -> None:
    before, events = _design_count(), AuditEvent.objects.count()
    with pytest.raises(ds.DesignError) as err:
        _import(network.a, "okh.toml", content)
    assert err.value.code == "okh_invalid"
    assert isinstance(err.value, okh.OkhInvalid)
    assert any(fragment in e for e in err.value.errors)
    assert "OKH v2 (okh.schema.json)" in err.value.messages[0]
    assert fragment in err.value.messages[0]
    assert _design_count() == before and AuditEvent.objects.count() == events


def test_an_invalid_v1_manifest_names_its_schema(network: Any) -> None:
    with pytest.raises(okh.OkhInvalid) as err:
        _import(network.a, "okh.yml", b"title: 12\nlicense: {hardware: MIT}\n")
    assert err.value.flavour == "v1" and "okh-v1.schema.json" in err.value.messages[0]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("okh.toml", b'okhv = "2.4"\nname = "unterminated\n'),
        ("okh.toml", b"okhv = 2.4\nokhv = 2.5\n"),  # a key given twice
        ("okh.yml", b"title: [unclosed\n"),
        ("okh.yml", b"a: &x [1]\nb: *x\n"),  # aliases are refused
        ("okh.toml", b"\xff\xfe not utf-8"),
        ("okh.toml", b"a = " + b"[" * 5000 + b"]" * 5000),  # nested beyond recursion
        ("okh.yaml", b"[" * 5000 + b"]" * 5000),
    ],
)
def test_a_broken_file_is_unreadable(network: Any, name: str, content: bytes) -> None:
    before = _design_count()
    with pytest.raises(ds.DesignError) as err:
        _import(network.a, name, content)
    assert err.value.code == "okh_unreadable"
    assert _design_count() == before


def test_toml_syntax_error_says_where(network: Any) -> None:
    with pytest.raises(ds.DesignError) as err:
        _import(network.a, "okh.toml", b'okhv = "2.4"\nname = "unterminated\n')
    assert "line 2" in err.value.messages[0]


def test_a_failure_while_writing_rolls_everything_back(network: Any, monkeypatch: Any) -> None:
    def broken(**kwargs: Any) -> None:
        raise ds.DesignError("boom", "boom")

    monkeypatch.setattr(ds, "add_bom_line", broken)
    before = _design_count()
    with pytest.raises(ds.DesignError):
        _import(network.a, "planktoscope.okh.toml")
    assert _design_count() == before


def test_a_viewer_may_not_import(network: Any) -> None:
    from django.core.exceptions import PermissionDenied

    viewer = Actor(user=network.a.viewer, memberships={network.a.org.pk: "viewer"})
    with pytest.raises(PermissionDenied):
        okh.import_okh(
            actor=viewer, organization=network.a.org, filename="okh.toml", data=b"not toml ="
        )


def test_round_trip_keeps_name_licence_and_version(network: Any) -> None:
    version = stool(network.a)
    text = okh.export_okh_toml(version, base_url=SITE)
    report = _import(network.b, "okh.toml", text.encode())
    assert report.flavour == "v2"
    assert report.design.name == "Tabouret bruxellois"
    assert report.design.license == "CC-BY-SA-4.0"
    assert report.design.licensor == "Atelier BruCycle"
    assert report.version.number == "1.0"
    assert report.design.tags == ["mobilier", "bois"]
    assert report.design.organization == network.b.org
    assert "keywords" in report.mapped and "part" in report.mapped


def test_messages_follow_the_active_language(network: Any) -> None:
    with translation.override("fr"), pytest.raises(ds.DesignError) as err:
        _import(network.a, "okh.toml", b'name = "x"\n')
    assert "okh.schema.json" in err.value.messages[0]


# ---------------------------------------------------------------- command


def test_command_exports_and_imports(network: Any, tmp_path: Path, capsys: Any) -> None:
    version = stool(network.a)
    call_command("okh", "export", version.design.slug, "--base-url", SITE)
    manifest = tomllib.loads(capsys.readouterr().out)
    assert manifest["name"] == "Tabouret bruxellois" and manifest["version"] == "1.0"
    call_command("okh", "export", version.design.slug, "--version", "1.0", "--json")
    assert json.loads(capsys.readouterr().out)["okhv"] == "2.4"

    call_command("okh", "import", str(DATA / "nimble.okh.toml"), "--organization", "orgc")
    out = capsys.readouterr().out
    assert "nimble" in out and "mapped:" in out and "unmapped: image" in out
    assert Design.objects.owned_by(network.c.org).filter(name="nimble").exists()

    broken = tmp_path / "okh.toml"
    broken.write_bytes(b'name = "x"\n')
    with pytest.raises(CommandError, match=r"okh\.schema\.json"):
        call_command("okh", "import", str(broken), "--organization", "orgc")
    with pytest.raises(CommandError, match="No design"):
        call_command("okh", "export", "no-such-design")


def test_dfm_answers_survive_export_untouched(network: Any) -> None:
    # The export is a read: it must not write anything (e.g. DFM rows or audit events).
    version = stool(network.a)
    answers, events = DfmAnswer.objects.unscoped("test").count(), AuditEvent.objects.count()
    okh.export_okh(version)
    assert DfmAnswer.objects.unscoped("test").count() == answers
    assert AuditEvent.objects.count() == events
