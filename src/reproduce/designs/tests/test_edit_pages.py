"""The editing pages of the designs library, driven like a designer would: create a design,
document its draft (files, BOM, routing, SOP steps, checks, DFM), release it, start a new
draft; and the refusals: wrong files, BOM loops, empty forms, other people's designs."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from stl import mesh

from reproduce.core.actor import Actor
from reproduce.core.models import AuditEvent
from reproduce.designs import services as ds
from reproduce.designs.dfm import QUESTION_CODES
from reproduce.designs.models import (
    BomLine,
    BuildReport,
    Design,
    DesignFile,
    Item,
    ItemKind,
    Operation,
    QcCriterion,
    SopStep,
    VersionState,
)
from reproduce.network.models import Material, Process

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


# ---------------------------------------------------------------- helpers


def png_bytes(colour: tuple[int, int, int] = (30, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def stl_bytes() -> bytes:
    """A small tetrahedron as a binary STL."""
    points = np.array([[0, 0, 0], [40, 0, 0], [0, 30, 0], [0, 0, 20]], dtype=float)
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]
    solid = mesh.Mesh(np.zeros(len(faces), dtype=mesh.Mesh.dtype))
    for i, face in enumerate(faces):
        solid.vectors[i] = points[list(face)]
    buffer = io.BytesIO()
    solid.save("part.stl", fh=buffer, mode=mesh.stl.Mode.BINARY)
    return buffer.getvalue()


def url(name: str, *args: Any) -> str:
    return reverse(f"designs:{name}", args=args)


def token(page: Any) -> str:
    """The one-time token of the form rendered on ``page``."""
    return str(page.context["form"]["form_token"].value())


def post_new(client: Any, name: str, *args: Any, data: dict[str, Any]) -> Any:
    """Open a creating form, then send it with its token (like a browser)."""
    page = client.get(url(name, *args))
    assert page.status_code == 200, page.status_code
    return client.post(url(name, *args), {**data, "form_token": token(page)})


def owner_actor(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


def design_data(org: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "organization": org.pk,
        "name": "Stool 42",
        "kind": "product",
        "summary": "A stackable stool for schools",
        "description": "<p>Three legs <script>alert(1)</script>and a round seat.</p>",
        "license": "CERN-OHL-S-2.0",
        "licensor": "",
        "repository_url": "",
        "tags": "furniture, plywood",
        "visibility": "network",
    }
    data.update(overrides)
    return data


def released_component(world: Any, name: str, *, uses: Design | None = None) -> Design:
    """A released design of ``world``'s organisation, optionally containing ``uses``."""
    actor = owner_actor(world)
    design = ds.create_design(
        actor=actor, organization=world.org, values={"name": name, "kind": "component"}
    )
    version = design.versions.get()
    if uses is not None:
        item = ds.item_for_design(actor=actor, organization=world.org, design=uses)
        ds.add_bom_line(actor=actor, version=version, item=item, quantity=Decimal(2))
    ds.release_version(actor=actor, version=version, number="1.0")
    return design


def ops_in_order(version: Any) -> list[str]:
    return list(version.operations.order_by("position").values_list("name", flat=True))


# ---------------------------------------------------------------- the designer's journey


def test_designer_documents_releases_and_revises_a_design(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    plywood = Material.objects.get(code="plywood")

    # 1. Create the design: it comes with a first draft.
    response = post_new(client, "create", data=design_data(network.a.org))
    assert response.status_code == 302
    design = Design.objects.owned_by(network.a.org).get(name="Stool 42")
    draft = design.versions.get()
    assert response["Location"] == url("version", draft.pk)
    assert design.visibility == "network" and design.tags == ["furniture", "plywood"]
    assert design.licensor == network.a.org.name  # empty licensor: the owner is credited
    assert "<script" not in design.description

    # 2. Files: a photo and a 3D model ("add another" comes back to the form).
    response = post_new(
        client,
        "file_add",
        draft.pk,
        data={
            "upload": SimpleUploadedFile("stool.png", png_bytes(), "image/png"),
            "role": "image",
            "description": "Front view",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("version", draft.pk) + "#files"
    response = post_new(
        client,
        "file_add",
        draft.pk,
        data={
            "upload": SimpleUploadedFile("seat.stl", stl_bytes(), "model/stl"),
            "role": "cad_exchange",
            "another": "1",
        },
    )
    assert response["Location"] == url("file_add", draft.pk)
    photo = draft.files.get(filename="stool.png")
    assert draft.files.get(filename="seat.stl").blob.kind == "stl"
    assert "seat.stl" in client.get(url("file_add", draft.pk)).content.decode()

    # 3. BOM: a new material, a new bought part and a library design of another organisation.
    shared = network.b.shared_designs
    for data in (
        {
            "source": "material",
            "material": plywood.pk,
            "specification": "18 mm birch, FSC",
            "quantity": "0,35",
            "unit": "MTK",
        },
        {
            "source": "part",
            "name": "M6×30 bolt",
            "supplier": "Brico",
            "supplier_reference": "M6-30-ZN",
            "quantity": "12",
        },
        {"source": "design", "design": shared["design"].pk, "quantity": "3"},
    ):
        assert post_new(client, "bom_add", draft.pk, data=data).status_code == 302
    lines = {line.item.kind: line for line in draft.bom_lines.select_related("item")}
    assert lines[ItemKind.MATERIAL].quantity == Decimal("0.35")
    assert lines[ItemKind.MATERIAL].item.name == plywood.label
    assert lines[ItemKind.PART].unit == "C62"  # the item's usual unit: piece
    assert lines[ItemKind.DESIGN].component_version == shared["version"]

    # 4. Routing: three operations, then put them in the right order.
    for data in (
        {"name": "Sand the edges", "kind": "finishing"},
        {
            "name": "Cut the panels",
            "kind": "fabrication",
            "process": Process.objects.get(code="laser-cutting").pk,
            "material": plywood.pk,
            "min_x_mm": "600",
            "min_y_mm": "400",
            "thickness_mm": "18",
            "tolerance_class": "m",
            "parameters": "60 % power at 20 mm/s",
            "setup_minutes": "10",
            "unit_minutes": "4,5",
        },
        {"name": "Assemble", "kind": "assembly"},
    ):
        assert post_new(client, "operation_add", draft.pk, data=data).status_code == 302
    cut = draft.operations.get(name="Cut the panels")
    sand = draft.operations.get(name="Sand the edges")
    assert cut.unit_minutes == Decimal("4.5")
    routing = client.get(url("routing", draft.pk)).content.decode()
    assert "Cut the panels" in routing and url("operation_move", cut.pk) in routing
    assert client.post(url("operation_move", cut.pk), {"offset": "-1"}).status_code == 302
    assert client.post(url("operation_move", sand.pk), {"offset": "1"}).status_code == 302
    assert ops_in_order(draft) == ["Cut the panels", "Assemble", "Sand the edges"]

    # 5. SOP step with the photo; the instruction is sanitised by the service.
    response = post_new(
        client,
        "step_add",
        cut.pk,
        data={
            "text": '<p onclick="x()">Load the sheet <script>x</script>'
            "<strong>face up</strong></p>",
            "image": photo.pk,
            "caution": "Close the lid before starting",
        },
    )
    assert response.status_code == 302
    step = SopStep.objects.owned_by(network.a.org).get(operation=cut)
    assert step.image == photo and "<strong>face up</strong>" in step.text
    assert "script" not in step.text and "onclick" not in step.text

    # 6. Quality checks: one during the cut, one final.
    assert (
        post_new(
            client,
            "qc_add",
            draft.pk,
            data={
                "operation": cut.pk,
                "characteristic": "Panel width",
                "method": "Calliper",
                "nominal": "400",
                "tolerance_minus": "0,5",
                "tolerance_plus": "0,5",
                "unit": "mm",
            },
        ).status_code
        == 302
    )
    assert (
        post_new(
            client,
            "qc_add",
            draft.pk,
            data={"characteristic": "Surface", "acceptance": "No splinters, no burn marks"},
        ).status_code
        == 302
    )
    assert {
        c.operation_id for c in QcCriterion.objects.owned_by(network.a.org).filter(version=draft)
    } == {cut.pk, None}

    # 7. DFM checklist: every question answered.
    page = client.get(url("dfm", draft.pk))
    assert page.content.decode().count('type="radio"') == 3 * len(QUESTION_CODES)
    answers = {f"answer_{code.replace('.', '__')}": "yes" for code in QUESTION_CODES}
    answers["comment_materials__cost"] = "Checked with two suppliers"
    assert client.post(url("dfm", draft.pk), answers).status_code == 302
    assert draft.dfm_answers.count() == len(QUESTION_CODES)

    # 8. Describe the version, then release it as 1.0.
    response = client.post(
        url("version_edit", draft.pk),
        {
            "number": "0.1",
            "function": "Sitting in classrooms",
            "material_notes": "FSC birch plywood",
            "manufacturing_notes": "Cut files at 1:1",
            "general_tolerance": "m",
            "finishing_notes": "Oiled",
            "packaging_notes": "Flat pack, 4 per box",
            "change_note": "",
        },
    )
    assert response.status_code == 302
    release_page = client.get(url("release", draft.pk)).content.decode()
    assert "immutable" in release_page and "% complete" in release_page
    response = client.post(url("release", draft.pk), {"number": "1.0", "change_note": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == VersionState.RELEASED and draft.number == "1.0"

    # 9. The released version cannot change: the pages say so and nothing is written.
    page = client.get(url("version_edit", draft.pk))
    assert page.status_code == 200
    assert "Version 1.0 is released and cannot change any more" in page.content.decode()
    assert url("draft_start", design.slug) in page.content.decode()
    before = (
        BomLine.objects.owned_by(network.a.org).count(),
        Item.objects.owned_by(network.a.org).count(),
    )
    response = post_new_after_release(client, draft.pk)
    assert response.status_code == 200
    assert "Version 1.0 is released and cannot change any more" in response.content.decode()
    assert 'value="Hemp rope"' in response.content.decode()  # nothing typed is lost
    after = (
        BomLine.objects.owned_by(network.a.org).count(),
        Item.objects.owned_by(network.a.org).count(),
    )
    assert after == before

    # 10. A new draft 1.1 with a change note, released in turn.
    page = client.get(url("draft_start", design.slug))
    assert page.context["form"]["number"].value() == "1.1"
    response = client.post(
        url("draft_start", design.slug),
        {"number": "1.1", "change_note": "Thicker seat", "form_token": token(page)},
    )
    assert response.status_code == 302
    new_draft = design.versions.get(state=VersionState.DRAFT)
    assert new_draft.number == "1.1" and new_draft.previous == draft
    assert new_draft.bom_lines.count() == 3 and ops_in_order(new_draft) == ops_in_order(draft)
    response = client.post(url("release", new_draft.pk), {"number": "1.1", "change_note": ""})
    assert response.status_code == 200
    assert 'id="id_change_note_error"' in response.content.decode()
    response = client.post(
        url("release", new_draft.pk), {"number": "1.1", "change_note": "Thicker seat, 21 mm"}
    )
    assert response.status_code == 302
    new_draft.refresh_from_db()
    assert new_draft.state == VersionState.RELEASED
    assert new_draft.change_note == "Thicker seat, 21 mm"


def post_new_after_release(client: Any, version_id: int) -> Any:
    """A BOM line sent from a page opened while the version was still a draft."""
    return client.post(
        url("bom_add", version_id),
        {
            "source": "part",
            "name": "Hemp rope",
            "quantity": "2",
            "form_token": "0123456789abcdef0123456789abcdef",
        },
    )


# ---------------------------------------------------------------- refusals


def test_a_file_whose_content_does_not_match_its_name_is_refused_on_the_form(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.a.manager)
    version = network.a.designs["version"]
    before = DesignFile.objects.owned_by(network.a.org).count()
    response = post_new(
        client,
        "file_add",
        version.pk,
        data={
            "upload": SimpleUploadedFile("cutting-plan.pdf", png_bytes(), "application/pdf"),
            "role": "drawing",
            "description": "Cutting plan for the 18 mm sheets",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_upload_error"' in body
    assert "named .pdf but its content is a PNG image" in body
    assert 'value="Cutting plan for the 18 mm sheets"' in body  # what was typed is kept
    response = post_new(
        client,
        "file_add",
        version.pk,
        data={"upload": SimpleUploadedFile("seat.stl", stl_bytes()), "role": "image"},
    )
    assert response.status_code == 200 and 'id="id_upload_error"' in response.content.decode()
    assert "not accepted here" in response.content.decode()
    assert DesignFile.objects.owned_by(network.a.org).count() == before


def test_a_bom_that_would_loop_back_on_itself_is_refused(network: Any, client_for: Any) -> None:
    chair = released_component(network.a, "Chair frame")
    bench = released_component(network.a, "Bench", uses=chair)  # Bench contains Chair frame
    draft = ds.start_draft(actor=owner_actor(network.a), design=chair, change_note="Stronger")
    client = client_for(network.a.manager)
    response = post_new(
        client, "bom_add", draft.pk, data={"source": "design", "design": bench.pk, "quantity": "1"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_design_error"' in body
    assert "cannot loop back on itself" in body
    assert not draft.bom_lines.exists()


def test_empty_forms_come_back_with_errors_and_change_nothing(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.a.manager)
    world = network.a.designs
    urls = [
        url("create"),
        url("edit", world["design"].slug),
        url("version_edit", world["version"].pk),
        url("file_add", world["version"].pk),
        url("bom_add", world["version"].pk),
        url("operation_add", world["version"].pk),
        url("step_add", world["operation"].pk),
        url("qc_add", world["version"].pk),
        url("dfm", world["version"].pk),
        url("release", world["version"].pk),
        url("file_remove", world["file"].pk),
        url("qc_edit", world["criterion"].pk),
        url("import_okh"),
    ]
    before = AuditEvent.objects.count()
    for address in urls:
        response = client.post(address, {})
        assert response.status_code == 200, address
        assert 'class="error-summary"' in response.content.decode(), address
    assert AuditEvent.objects.count() == before
    assert world["version"].files.count() == 1


def test_a_viewer_gets_403_and_another_organisation_404(network: Any, client_for: Any) -> None:
    world = network.a.designs
    viewer = client_for(network.a.viewer)
    foreign = client_for(network.b.manager)
    for address in (
        url("version_edit", world["version"].pk),
        url("edit", world["design"].slug),
        url("operation_edit", world["operation"].pk),
    ):
        assert viewer.get(address).status_code == 403
        assert foreign.get(address).status_code == 404
        assert foreign.post(address, {"name": "Taken over"}).status_code == 404
    assert viewer.get(url("create")).status_code == 403
    # Even a design shared with A by name cannot be edited by A: only read, forked, built.
    shared = network.b.shared_designs
    assert client_for(network.a.manager).get(url("edit", shared["design"].slug)).status_code == 404


def test_double_submitting_the_create_form_creates_one_design(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.a.manager)
    page = client.get(url("create"))
    data = {**design_data(network.a.org, name="Planter box"), "form_token": token(page)}
    first = client.post(url("create"), data)
    second = client.post(url("create"), data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Design.objects.owned_by(network.a.org).filter(name="Planter box").count() == 1


def test_quality_check_needs_its_unit_next_to_the_field(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    version = network.a.designs["version"]
    response = post_new(
        client,
        "qc_add",
        version.pk,
        data={
            "characteristic": "Leg length",
            "nominal": "420",
            "tolerance_minus": "1",
            "tolerance_plus": "1",
        },
    )
    assert response.status_code == 200
    assert 'id="id_unit_error"' in response.content.decode()
    assert 'value="Leg length"' in response.content.decode()


# ---------------------------------------------------------------- forks, builds, OKH import


def test_a_member_derives_a_shared_design_keeping_its_reciprocal_licence(
    network: Any, client_for: Any
) -> None:
    shared = network.b.shared_designs
    client = client_for(network.a.manager)
    address = url("fork") + f"?design={shared['design'].slug}"
    page = client.get(address)
    assert page.status_code == 200
    data = {
        "version": shared["version"].pk,
        "organization": network.a.org.pk,
        "name": "Stool for kids",
        "license": "MIT",
        "form_token": token(page),
    }
    response = client.post(address, data)
    assert response.status_code == 200
    assert 'id="id_license_error"' in response.content.decode()
    assert "reciprocal licence" in response.content.decode()
    response = client.post(address, {**data, "license": "CERN-OHL-S-2.0"})
    assert response.status_code == 302
    fork = Design.objects.owned_by(network.a.org).get(name="Stool for kids")
    assert fork.forked_from == shared["version"]
    assert client.get(url("fork")).status_code == 200  # without a design: a chooser


def test_an_operator_reports_a_build_with_a_photo(network: Any, client_for: Any) -> None:
    shared = network.b.shared_designs
    client = client_for(network.a.operator)
    address = url("build_add") + f"?design={shared['design'].slug}"
    page = client.get(address)
    response = client.post(
        address,
        {
            "version": shared["version"].pk,
            "organization": network.a.org.pk,
            "site": network.a.listed_site.pk,
            "built_on": "2026-01-20",
            "quantity": "4",
            "deviations": "Used 21 mm plywood",
            "photos": [SimpleUploadedFile("built.png", png_bytes((1, 2, 3)), "image/png")],
            "form_token": token(page),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = BuildReport.objects.owned_by(network.a.org).get(design=shared["design"])
    assert report.quantity == 4 and report.site == network.a.listed_site
    assert report.photos.count() == 1
    # A site of another organisation is not a choice.
    response = client.post(
        address,
        {
            "version": shared["version"].pk,
            "organization": network.a.org.pk,
            "site": network.b.listed_site.pk,
            "built_on": "2026-01-21",
            "quantity": "1",
        },
    )
    assert response.status_code == 200 and 'id="id_site_error"' in response.content.decode()


def test_importing_an_okh_manifest_shows_what_was_mapped(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    manifest = (DATA / "nimble.okh.toml").read_bytes()
    response = post_new(
        client,
        "import_okh",
        data={
            "manifest": SimpleUploadedFile("okh.toml", manifest),
            "organization": network.a.org.pk,
        },
    )
    assert response.status_code == 302
    design = Design.objects.owned_by(network.a.org).get(name__iexact="nimble")
    report = client.get(response["Location"])
    body = report.content.decode()
    assert report.status_code == 200
    assert url("version", design.versions.get().pk) in body
    assert "Taken from the manifest" in body
    response = post_new(
        client,
        "import_okh",
        data={
            "manifest": SimpleUploadedFile("okh.toml", b"name = [unclosed"),
            "organization": network.a.org.pk,
        },
    )
    assert response.status_code == 200 and 'id="id_manifest_error"' in response.content.decode()


def test_operations_do_not_move_past_the_ends(network: Any, client_for: Any) -> None:
    world = network.a.designs
    client = client_for(network.a.manager)
    before = AuditEvent.objects.count()
    response = client.post(url("operation_move", world["operation"].pk), {"offset": "-1"})
    assert response.status_code == 302
    assert response["Location"] == url("routing", world["version"].pk)
    version_page = url("version", world["version"].pk)
    response = client.post(
        url("operation_move", world["operation"].pk),
        {"offset": "1"},
        headers={"referer": f"http://testserver{version_page}"},
    )
    assert response["Location"] == version_page + "#routing"  # back where the arrow was
    assert AuditEvent.objects.count() == before
    assert Operation.objects.owned_by(network.a.org).filter(version=world["version"]).count() == 1


def test_removing_asks_first_and_a_file_keeps_a_role_that_fits_its_content(
    network: Any, client_for: Any
) -> None:
    world = network.a.designs
    client = client_for(network.a.manager)
    address = url("bom_line_remove", world["line"].pk)
    page = client.get(address)
    assert page.status_code == 200 and "from the BOM?" in page.content.decode()
    assert client.post(address, {}).status_code == 200  # no confirmation: nothing removed
    assert world["version"].bom_lines.count() == 1
    response = client.post(address, {"confirm": "True"})
    assert response.status_code == 302
    assert response["Location"] == url("version", world["version"].pk) + "#bom"
    assert not world["version"].bom_lines.exists()
    # The PNG of the draft cannot be declared a 3D model.
    response = client.post(
        url("file_edit", world["file"].pk), {"role": "cad_exchange", "description": "Top view"}
    )
    assert response.status_code == 200 and 'id="id_role_error"' in response.content.decode()
    world["file"].refresh_from_db()
    assert world["file"].role == "image"
    # A step's picture must be an image of this version: another organisation's is no choice.
    response = client.post(
        url("step_edit", world["step"].pk),
        {"text": "Load the sheet", "image": network.b.designs["file"].pk},
    )
    assert response.status_code == 200 and 'id="id_image_error"' in response.content.decode()
