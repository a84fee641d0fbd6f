"""The designs library in a real browser: a designer documents and releases a design; a
workshop opens a design shared with it and sees exactly what is shared."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import check_accessibility, sign_in


@pytest.fixture
def designs_server(demo_server: Any) -> Any:
    from reproduce.designs.demo import load_demo_designs

    load_demo_designs()
    return demo_server


def _stl(tmp_path: Path) -> Path:
    import numpy as np
    from stl import mesh

    cube = mesh.Mesh(np.zeros(12, dtype=mesh.Mesh.dtype))
    corners = np.array(
        [
            [0, 0, 0],
            [40, 0, 0],
            [40, 40, 0],
            [0, 40, 0],
            [0, 0, 20],
            [40, 0, 20],
            [40, 40, 20],
            [0, 40, 20],
        ],
        dtype=float,
    )
    faces = [
        [0, 3, 1], [1, 3, 2], [0, 4, 7], [0, 7, 3], [4, 5, 6], [4, 6, 7],
        [5, 1, 2], [5, 2, 6], [2, 3, 6], [3, 7, 6], [0, 1, 5], [0, 5, 4],
    ]  # fmt: skip
    for i, f in enumerate(faces):
        cube.vectors[i] = corners[f]
    buffer = io.BytesIO()
    cube.save("bracket.stl", fh=buffer)
    path = tmp_path / "bracket.stl"
    path.write_bytes(buffer.getvalue())
    return path


def _submit(page: Any) -> None:
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def test_designer_documents_and_releases_a_design(page: Any, demo_server: Any, tmp_path: Path):
    base = demo_server.url
    sign_in(page, base, "owner@mobifab.demo")

    # A new design: it starts as a private draft 0.1.
    page.goto(f"{base}/en/designs/new/")
    check_accessibility(page)
    page.fill("input[name=name]", "Corner bracket")
    page.select_option("select[name=kind]", "component")
    page.fill("input[name=summary]", "A 3D-printed bracket joining two slats")
    page.select_option("select[name=license]", "CERN-OHL-W-2.0")
    _submit(page)
    assert "Corner bracket" in page.content()
    version_url = page.url
    assert "/designs/versions/" in version_url

    # Its 3D model.
    page.locator("a", has_text="Add a file").first.click()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    page.set_input_files("input[name=upload]", str(_stl(tmp_path)))
    page.select_option("select[name=role]", "cad_exchange")
    _submit(page)

    # A wrong file is refused with a clear message, nothing attached.
    page.goto(version_url.rstrip("/") + "/files/new/")
    fake = tmp_path / "drawing.pdf"
    fake.write_bytes(b"GIF89a not a pdf at all")
    page.set_input_files("input[name=upload]", str(fake))
    page.select_option("select[name=role]", "drawing")
    _submit(page)
    assert page.locator(".errorlist, .field-error, [role=alert]").count() >= 1

    # One fabrication operation.
    page.goto(version_url.rstrip("/") + "/operations/new/")
    check_accessibility(page)
    page.fill("input[name=name]", "Print the bracket")
    page.select_option("select[name=kind]", "fabrication")
    from reproduce.network.models import Process

    fdm = Process.objects.get(code="fdm-printing")
    page.locator("select[name=process]").select_option(str(fdm.pk))
    page.fill("input[name=unit_minutes]", "35")
    _submit(page)

    # Release 1.0: the version page then says so, and editing it is refused.
    page.goto(version_url.rstrip("/") + "/release/")
    check_accessibility(page)
    page.fill("input[name=number]", "1.0")
    _submit(page)
    page.goto(version_url)
    check_accessibility(page)
    assert "1.0" in page.locator("h1, header").first.inner_text() or "1.0" in page.content()
    assert "Released" in page.content()
    page.goto(version_url.rstrip("/") + "/edit/")
    assert "cannot change any more" in page.content()

    # The 3D preview of the model loads in the page (three.js served locally).
    page.goto(version_url)
    viewer = page.locator("[data-model-viewer]").first
    viewer.scroll_into_view_if_needed()
    page.wait_for_selector("[data-model-viewer] canvas, .model-viewer__status", timeout=15000)
    assert not page.js_errors, page.js_errors


def test_workshop_sees_what_is_shared_with_it(page: Any, designs_server: Any):
    from reproduce.designs.models import Design, DesignVersion

    base = designs_server.url
    tote = Design.objects.unscoped("test lookup").get(slug="brucycle-tote-bag")
    draft = DesignVersion.objects.unscoped("test lookup").get(design=tote, state="draft")

    # Not public: a visitor gets 404.
    response = page.goto(f"{base}/en/designs/brucycle-tote-bag/")
    assert response.status == 404

    # GreenFabric's manager sees the released version, its SOP steps and QC checks.
    sign_in(page, base, "manager@greenfabric.demo")
    page.goto(f"{base}/en/designs/brucycle-tote-bag/")
    check_accessibility(page)
    content = page.content()
    assert "1.0" in content
    assert page.locator("#routing li, #routing .sop-step, #routing ol li").count() >= 1
    assert "±" in content or "Acceptance" in content or "acceptance" in content
    # … but never the owner's open draft.
    response = page.goto(f"{base}/en/designs/versions/{draft.pk}/")
    assert response.status == 404

    # The review: completeness and who in the network can make each operation.
    page.goto(f"{base}/en/designs/brucycle-tote-bag/")
    page.locator("a", has_text="Review").first.click()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    assert "Specification completeness" in page.content() or "completeness" in page.content()
    assert not page.js_errors, page.js_errors


def test_anyone_previews_a_public_machine_plan_in_3d(page: Any, designs_server: Any):
    base = designs_server.url
    page.goto(f"{base}/en/designs/?kind=machine")
    check_accessibility(page)
    page.locator("a", has_text="Hollander").first.click()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    viewer = page.locator("[data-model-viewer]").first
    viewer.scroll_into_view_if_needed()
    page.wait_for_selector("[data-model-viewer] canvas", timeout=20000)
    # The complete package downloads: files, BOM CSV, instructions PDF and okh.toml.
    with page.expect_download() as download:
        page.locator("a[href$='package.zip']").first.click()
    import zipfile

    names = zipfile.ZipFile(download.value.path()).namelist()
    assert {"okh.toml", "bom.csv", "instructions.pdf"} <= set(names)
    assert any(n.startswith("files/") and n.endswith(".stl") for n in names)
    assert not page.js_errors, page.js_errors
