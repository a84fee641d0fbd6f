"""The reading pages of the designs library: library, design page, comparison, review,
BOM explosion and files — what each person sees, and what they never see."""

# The product writes typographic signs (×, –, ±) and Belgian numbers (2,5) in every language:
# the tests look for them as written.

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reproduce.core.actor import Actor
from reproduce.designs import services
from reproduce.designs.models import Design, DesignVersion, Item
from reproduce.files.tests.samples import image_bytes, pdf_bytes, stl_bytes
from reproduce.files.thumbnails import ensure_thumbnail
from reproduce.network.models import Material, Process

HTMX = {"HX-Request": "true"}


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _owner(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


def _material(world: Any, name: str, *, code: str = "plywood", quantity: str = "1") -> Item:
    return services.create_item(
        actor=_owner(world),
        organization=world.org,
        values={
            "kind": "material",
            "name": name,
            "material": Material.objects.get(code=code),
            "specification": "18 mm birch",
            "default_unit": "MTK",
        },
    )


def _operation(world: Any, version: DesignVersion, name: str, **values: Any) -> Any:
    return services.add_operation(
        actor=_owner(world), version=version, values={"name": name, **values}
    )


def _design(
    world: Any,
    name: str,
    *,
    kind: str = "product",
    operations: int = 1,
    steps: int = 1,
    visibility: str = "public",
    release: bool = True,
) -> Design:
    """A design of ``world`` with a BOM line, ``operations`` × ``steps`` and checks."""
    actor = _owner(world)
    design = services.create_design(
        actor=actor,
        organization=world.org,
        values={"name": name, "kind": kind, "summary": f"{name} summary", "license": "CC-BY-4.0"},
    )
    version = design.versions.get()
    services.add_bom_line(
        actor=actor,
        version=version,
        item=_material(world, f"{name} board"),
        quantity=Decimal("0.5"),
    )
    laser = Process.objects.get(code="laser-cutting")
    for n in range(operations):
        op = _operation(world, version, f"Operation {n + 1}", process=laser)
        for s in range(steps):
            services.add_step(actor=actor, operation=op, text=f"<p>Do step {n + 1}.{s + 1}</p>")
        services.add_criterion(
            actor=actor,
            version=version,
            values={"operation": op, "characteristic": f"Check {n + 1}", "acceptance": "Clean"},
        )
    if release:
        services.release_version(actor=actor, version=version, number="1.0")
    services.set_visibility(actor=actor, design=design, visibility=visibility)
    return design


def _add_file(
    world: Any, version: DesignVersion, data: bytes, filename: str, role: str, **kw: Any
) -> Any:
    return services.add_file(
        actor=_owner(world),
        version=version,
        upload=io.BytesIO(data),
        filename=filename,
        role=role,
        **kw,
    )


# ------------------------------------------------------------------ library


def test_library_lists_public_designs_to_anonymous_and_hides_private(
    network: Any, client: Any
) -> None:
    _design(network.a, "Public stool")
    _design(network.a, "Secret lamp", visibility="private")
    html = _html(client.get("/en/designs/"))
    assert "Public stool" in html
    assert "Secret lamp" not in html
    assert network.a.designs["design"].name not in html  # the fixture's private draft
    assert network.b.shared_designs["design"].name not in html  # shared by name with A only
    assert "CC-BY-4.0" in html and "Creative Commons Attribution 4.0" in html
    assert "version 1.0" in html
    assert "1 design" in html
    assert "New design" not in html  # visitors cannot create


def test_library_filters_machine_plans_and_shows_an_empty_state(network: Any, client: Any) -> None:
    _design(network.a, "Public stool")
    _design(network.a, "Hollander beater", kind="machine")
    html = _html(client.get("/en/designs/?kind=machine"))
    assert "Hollander beater" in html and "Public stool" not in html
    assert re.search(r'<a href="[^"]*kind=machine" aria-current="page">Machine plans</a>', html)
    html = _html(client.get("/en/designs/?q=nothing-like-this"))
    assert "No design matches these filters." in html


def test_library_shows_reproductions_forks_and_the_owners_badge(
    network: Any, client_for: Any
) -> None:
    design = _design(network.a, "Public stool")
    version = design.versions.get()
    services.record_build(
        actor=_owner(network.c),
        organization=network.c.org,
        version=version,
        site=network.c.listed_site,
        built_on=date(2026, 1, 15),
    )
    services.fork_design(actor=_owner(network.c), version=version, organization=network.c.org)
    html = _html(client_for(network.a.manager).get("/en/designs/"))
    assert "Reproduced 1 time" in html and "at 1 place" in html
    assert "Visible to: Public" in html  # A's own design carries its visibility badge
    assert "New design" in html and "Import an OKH manifest" in html
    # C's derivative is a private draft: A does not see it, C does, with its origin.
    html = _html(client_for(network.c.owner).get("/en/designs/"))
    assert "Public stool (derivative)" in html
    assert re.search(r"Derivative of <a href=\"/en/designs/versions/\d+/\">Public stool</a>", html)


def test_library_filters_reproduced_designs(network: Any, client: Any) -> None:
    built = _design(network.a, "Built stool")
    _design(network.a, "Unbuilt stool")
    services.record_build(
        actor=_owner(network.a),
        organization=network.a.org,
        version=built.versions.get(),
        built_on=date(2026, 1, 15),
    )
    html = _html(client.get("/en/designs/?reproduced=on"))
    assert "Built stool" in html and "Unbuilt stool" not in html


def test_library_queries_do_not_grow_with_the_designs(network: Any, client: Any) -> None:
    def covered(name: str) -> None:
        design = _design(network.a, name, release=False)
        version = design.versions.get()
        _add_file(network.a, version, image_bytes(), f"{design.slug}.png", "image")
        services.release_version(actor=_owner(network.a), version=version, number="1.0")

    counts = []
    for names in (["A1", "A2"], ["B1", "B2", "B3", "B4", "B5", "B6"]):
        for name in names:
            covered(name)
        with CaptureQueriesContext(connection) as queries:
            html = _html(client.get("/en/designs/"))
        counts.append(len(queries))
    assert html.count('class="design-cover"') == 8
    assert counts[0] == counts[1], counts


def test_a_design_without_a_release_shows_no_version_to_visitors(network: Any, client: Any) -> None:
    design = _design(network.a, "Prototype", release=False)
    html = _html(client.get(f"/en/designs/{design.slug}/"))
    assert "No version of this design has been released yet." in html
    assert "Do step" not in html


def test_library_paginates_by_24(network: Any, client: Any) -> None:
    actor = _owner(network.a)
    for n in range(25):
        d = services.create_design(
            actor=actor,
            organization=network.a.org,
            values={"name": f"Design {n:02}", "kind": "tool"},
        )
        services.set_visibility(actor=actor, design=d, visibility="public")
    html = _html(client.get("/en/designs/"))
    assert "Design 23" in html and "Design 24" not in html and "Page 1 of 2" in html
    html = _html(client.get("/en/designs/?kind=tool&page=2"))
    assert "Design 24" in html and "Design 00" not in html


# ------------------------------------------------------------------ design page


def _documented(world: Any) -> Design:
    """A public design documented in full: BOM, routing with SOP and checks, final inspection."""
    actor = _owner(world)
    design = services.create_design(
        actor=actor,
        organization=world.org,
        values={
            "name": "Hollander beater",
            "kind": "machine",
            "summary": "Beats textile fibres into pulp",
            "description": "<p>Open-source <strong>beater</strong></p><script>alert(1)</script>",
            "license": "CERN-OHL-S-2.0",
            "tags": ["paper", "textile"],
        },
    )
    version = design.versions.get()
    services.update_version(
        actor=actor,
        version=version,
        values={"function": "Turns rags into pulp", "packaging_notes": "On a pallet"},
    )
    services.add_bom_line(
        actor=actor,
        version=version,
        item=_material(world, "Stainless sheet", code="stainless-steel"),
        quantity=Decimal("2.5"),
        reference="TUB",
    )
    op = _operation(
        world,
        version,
        "Cut the tub",
        process=Process.objects.get(code="laser-cutting"),
        material=Material.objects.get(code="plywood"),
        min_x_mm=600,
        min_y_mm=400,
        parameters="60 % power",
        setup_minutes=Decimal("15"),
        unit_minutes=Decimal("7.5"),
    )
    services.add_step(
        actor=actor, operation=op, text="<p>Clamp the sheet</p>", caution="Wear goggles"
    )
    services.add_step(actor=actor, operation=op, text="<p>Start the job</p>")
    services.add_criterion(
        actor=actor,
        version=version,
        values={
            "operation": op,
            "characteristic": "Tub width",
            "nominal": Decimal("600"),
            "tolerance_minus": Decimal("0.5"),
            "tolerance_plus": Decimal("0.5"),
            "unit": "mm",
            "method": "Tape measure",
        },
    )
    services.add_criterion(
        actor=actor,
        version=version,
        values={"characteristic": "Watertight tub", "acceptance": "No drop after 1 hour"},
    )
    services.release_version(actor=actor, version=version, number="1.0")
    services.set_visibility(actor=actor, design=design, visibility="public")
    return design


def test_design_page_shows_bom_routing_sop_and_checks(network: Any, client: Any) -> None:
    design = _documented(network.a)
    html = _html(client.get(f"/en/designs/{design.slug}/"))
    assert "<h1>Hollander beater" in html and "Machine plan" in html
    assert "<strong>beater</strong>" in html and "<script>alert" not in html
    assert "CERN-OHL-S-2.0" in html and "Strongly Reciprocal" in html
    assert "Stainless sheet" in html and "2,5 m²" in html and "TUB" in html
    assert "1. Cut the tub" in html and "Laser cutting" in html
    assert "600×400 mm" in html and "60 % power" in html
    assert "setup 15 min, then 7,5 min per unit" in html
    assert "Step 1" in html and "Clamp the sheet" in html and "Wear goggles" in html
    assert "Step 2" in html and "Start the job" in html
    assert "Tub width" in html and "600 ± 0,5 mm" in html and "Tape measure" in html
    assert "Watertight tub" in html and "No drop after 1 hour" in html  # final inspection
    assert "Turns rags into pulp" in html and "On a pallet" in html
    assert f'href="/en/designs/versions/{design.versions.get().pk}/package.zip"' in html
    assert f'href="/api/v1/designs/{design.pk}/okh.toml"' in html
    assert "Edit the design" not in html and "Record a build" not in html


def test_version_page_is_the_same_page(network: Any, client: Any) -> None:
    design = _documented(network.a)
    version = design.versions.get()
    html = _html(client.get(f"/en/designs/versions/{version.pk}/"))
    assert "Cut the tub" in html and 'aria-current="page">Version 1.0' in html


def test_owner_sees_the_draft_and_the_editing_links(network: Any, client_for: Any) -> None:
    design = _documented(network.a)
    draft = services.start_draft(actor=_owner(network.a), design=design, change_note="Thicker")
    client = client_for(network.a.manager)
    html = _html(client.get(f"/en/designs/{design.slug}/"))
    # The released version is shown first; the draft is offered.
    assert "Continue the draft 1.1" in html and "Edit the design" in html
    html = _html(client.get(f"/en/designs/versions/{draft.pk}/"))
    assert "Draft" in html and "Release version 1.1" in html
    assert f'href="/en/designs/versions/{draft.pk}/edit/"' in html
    assert "/en/designs/versions/" in html and "/files/new/" in html and "/qc/new/" in html
    assert "Thicker" in html and "Compare version 1.1 with the previous one" in html


def test_a_workshop_the_design_is_shared_with_sees_the_release_only(
    network: Any, client_for: Any
) -> None:
    b = network.b
    actor = _owner(b)
    design = _design(b, "Textile shredder", kind="machine", visibility="private", release=False)
    version = design.versions.get()
    internal = _add_file(b, version, image_bytes(), "sources.png", "image", is_internal=True)
    shared = _add_file(b, version, image_bytes(size=(40, 30)), "photo.png", "image")
    services.release_version(actor=actor, version=version, number="1.1")
    draft = services.start_draft(actor=actor, design=design, change_note="Secret rework")
    services.set_visibility(
        actor=actor, design=design, visibility="named", organizations=[network.a.org]
    )

    client = client_for(network.a.manager)
    html = _html(client.get(f"/en/designs/{design.slug}/"))
    assert "Do step 1.1" in html and "Check 1" in html  # SOP and QC of the released version
    assert "photo.png" in html and f"/en/designs/files/{shared.pk}/" in html
    assert "sources.png" not in html and "Internal" not in html
    assert "Secret rework" not in html and "1.2" not in html  # the draft stays with B
    assert client.get(f"/en/designs/versions/{draft.pk}/").status_code == 404
    assert client.get(f"/en/designs/files/{internal.pk}/").status_code == 404
    assert client.get(f"/en/designs/files/{shared.pk}/").status_code == 200
    # B's own people see the internal file with its badge, and the draft.
    html = _html(client_for(b.viewer).get(f"/en/designs/versions/{version.pk}/"))
    assert "sources.png" in html and "Internal: your organisation only" in html
    # Anyone else: 404.
    assert client_for(None).get(f"/en/designs/{design.slug}/").status_code == 404
    assert client_for(network.c.owner).get(f"/en/designs/files/{shared.pk}/").status_code == 404


def test_files_are_previewed_by_kind(network: Any, client: Any) -> None:
    design = _design(network.a, "Bracket", release=False)
    version = design.versions.get()
    stl = _add_file(network.a, version, stl_bytes(), "bracket.stl", "cad_exchange")
    pdf = _add_file(network.a, version, pdf_bytes(), "drawing.pdf", "drawing")
    ensure_thumbnail(stl.blob)
    services.release_version(actor=_owner(network.a), version=version, number="1.0")
    html = _html(client.get(f"/en/designs/{design.slug}/"))
    assert f'data-model-viewer data-src="/en/designs/files/{stl.pk}/"' in html
    assert f'src="/en/designs/files/{stl.pk}/thumbnail/" alt="Bracket – bracket.stl"' in html
    assert "designs/js/model-viewer.js" in html
    assert (
        f'<object class="pdf-preview" type="application/pdf" data="/en/designs/files/{pdf.pk}/"'
        in html
    )
    assert f'href="/en/designs/files/{pdf.pk}/?download=1"' in html


def test_detail_page_queries_do_not_grow_with_the_routing(
    network: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    small = _design(network.a, "Small", operations=2, steps=1)
    large = _design(network.a, "Large", operations=10, steps=3)
    counts = []
    for design in (small, large):
        with CaptureQueriesContext(connection) as queries:
            html = _html(client.get(f"/en/designs/{design.slug}/"))
        counts.append(len(queries))
        assert "Check 2" in html
    assert "Do step 10.3" in html
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[0]):
        client.get(f"/en/designs/{large.slug}/")


# ------------------------------------------------------------------ comparison


def test_compare_shows_an_added_bom_line_and_a_changed_operation(network: Any, client: Any) -> None:
    world = network.a
    actor = _owner(world)
    design = _design(world, "Stool")
    draft = services.start_draft(actor=actor, design=design, change_note="Stronger")
    glue = _material(world, "Glue")
    services.add_bom_line(actor=actor, version=draft, item=glue, quantity=Decimal(1))
    op = draft.operations.get()
    services.update_operation(actor=actor, operation=op, values={"parameters": "80 % power"})
    services.release_version(actor=actor, version=draft, number="1.1")
    html = _html(client.get(f"/en/designs/versions/{draft.pk}/compare/"))
    assert "what changed from 1.0 to 1.1" in html
    assert re.search(
        r"<th scope=\"row\">Glue</th>\s*<td><span class=\"change-badge change-badge-added\">", html
    )
    assert "Operation 1" in html and "critical parameters" in html
    assert re.search(r"<del>[–—]</del> → <ins>80 % power</ins>", html)  # before: empty


def test_compare_says_when_there_is_no_difference(network: Any, client: Any) -> None:
    design = _design(network.a, "Stool")
    draft = services.start_draft(actor=_owner(network.a), design=design, change_note="Nothing")
    services.release_version(actor=_owner(network.a), version=draft, number="1.1")
    html = _html(client.get(f"/en/designs/versions/{draft.pk}/compare/"))
    assert "No differences" in html
    first = design.versions.get(number="1.0")
    html = _html(client.get(f"/en/designs/versions/{first.pk}/compare/"))
    assert "no previous version to compare with" in html
    assert client.get(f"/en/designs/versions/{draft.pk}/compare/?with=abc").status_code == 404
    private = network.b.designs["version"]
    assert (
        client.get(f"/en/designs/versions/{draft.pk}/compare/?with={private.pk}").status_code == 404
    )


# ------------------------------------------------------------------ review


def test_review_shows_completeness_dfm_and_who_can_make_it(network: Any, client_for: Any) -> None:
    world = network.a
    actor = _owner(world)
    design = _design(world, "Bench", operations=0, release=False)
    version = design.versions.get()
    _operation(
        world,
        version,
        "Cut the plywood",
        process=Process.objects.get(code="laser-cutting"),
        material=Material.objects.get(code="plywood"),
        min_x_mm=600,
        min_y_mm=400,
        tolerance_class="m",
    )
    _operation(
        world, version, "Beat the pulp", process=Process.objects.get(code="hollander-beating")
    )
    _operation(world, version, "Assemble by hand", kind="assembly")
    services.answer_dfm(
        actor=actor,
        version=version,
        answers={"materials.compatible": services.DfmInput("yes", "Birch plywood is stocked")},
    )
    html = _html(client_for(world.manager).get(f"/en/designs/versions/{version.pk}/review/"))
    assert "% complete" in html and "<progress" in html
    assert "Missing:</strong>\n          3D model in an exchange format (STEP, STL or 3MF)" in html
    assert "DFM checklist: 1 / 18 answered" in html and "Birch plywood is stocked" in html
    assert "2 of 3 operations can be made in the network" in html
    # A sees its own laser and C's (shared with A by name); B's stays hidden.
    assert "Listed orga" in html and "Listed orgc" in html and "Listed orgb" not in html
    assert "Laser orgc" in html
    assert "Nobody in the network can do this operation today." in html
    assert "Beat the pulp" in html and "Any workshop" in html


# ------------------------------------------------------------------ explosion


def test_explosion_totals_the_bom_for_ten_units(network: Any, client: Any) -> None:
    design = _design(network.a, "Stool")
    version = design.versions.get()
    url = f"/en/designs/versions/{version.pk}/explosion/"
    fragment = _html(client.get(url, {"quantity": 10}, headers=HTMX))
    assert "<html" not in fragment
    assert "Materials and parts for 10 units" in fragment
    assert re.search(r"Stool board</th>.*?5 m²", fragment, re.S)
    page = _html(client.get(url, {"quantity": 10}))
    assert "<html" in page and "5 m²" in page
    error = _html(client.get(url, {"quantity": 0}, headers=HTMX))
    assert "Build at least 1 unit." in error and "m²" not in error
    assert "Give at most 10000 units." in _html(client.get(url, {"quantity": 10001}))
    assert "Give a whole number" in _html(client.get(url, {"quantity": "ten"}))


# ------------------------------------------------------------------ files and package


def test_file_is_served_with_nosniff_and_a_sandbox(network: Any, client_for: Any) -> None:
    version = network.a.designs["version"]
    design_file = network.a.designs["file"]
    client = client_for(network.a.viewer)
    response = client.get(f"/en/designs/files/{design_file.pk}/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "image/png"
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # PDFs are previewed in an <object>
    download = client.get(f"/en/designs/files/{design_file.pk}/?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert version.files.count() == 1


def test_invisible_or_missing_files_answer_404(network: Any, client_for: Any) -> None:
    private = network.a.designs["file"]
    for user in (None, network.b.owner, network.outsider, network.coordinator):
        client = client_for(user)
        assert client.get(f"/en/designs/files/{private.pk}/").status_code == 404
        assert client.get(f"/en/designs/files/{private.pk}/thumbnail/").status_code == 404
    assert client_for(network.a.viewer).get("/en/designs/files/987654/").status_code == 404


def test_thumbnail_is_served_once_made(network: Any, client_for: Any) -> None:
    design_file = network.a.designs["file"]
    client = client_for(network.a.viewer)
    url = f"/en/designs/files/{design_file.pk}/thumbnail/"
    design_file.blob.thumbnail = None
    design_file.blob.save(update_fields=["thumbnail"])
    assert client.get(url).status_code == 404
    ensure_thumbnail(design_file.blob)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_package_is_a_zip_attachment(network: Any, client: Any) -> None:
    design = _documented(network.a)
    version = design.versions.get()
    response = client.get(f"/en/designs/versions/{version.pk}/package.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment")
    assert f"{design.slug}-1.0.zip" in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_pages_answer_in_every_language(network: Any, client: Any, lang: str) -> None:
    design = _documented(network.a)
    version = design.versions.get()
    for url in (
        "/designs/",
        f"/designs/{design.slug}/",
        f"/designs/versions/{version.pk}/review/",
        f"/designs/versions/{version.pk}/compare/",
    ):
        assert client.get(f"/{lang}{url}").status_code == 200
