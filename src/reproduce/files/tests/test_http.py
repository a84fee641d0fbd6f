"""blob_response: the headers that keep stored files from acting as our website."""

from __future__ import annotations

import io

import pytest

from reproduce.files.http import blob_response
from reproduce.files.services import ingest
from reproduce.files.tests import samples

pytestmark = pytest.mark.django_db


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_an_image_is_served_inline_with_safe_headers() -> None:
    data = samples.image_bytes()
    blob = ingest(io.BytesIO(data), "photo.png")
    response = blob_response(blob, "photo.png", inline=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
    )
    assert response["Content-Disposition"] == (
        "inline; filename=\"photo.png\"; filename*=UTF-8''photo.png"
    )
    assert response["ETag"] == f'"{blob.sha256}"'
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Content-Length"] == str(len(data))
    assert body(response) == data


def test_svg_is_shown_inside_a_sandbox() -> None:
    blob = ingest(io.BytesIO(samples.SVG), "plate.svg")
    response = blob_response(blob, "plate.svg", inline=True)
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"].endswith("sandbox")
    assert response["Content-Disposition"].startswith("inline;")


def test_pdf_is_not_sandboxed_so_the_browser_viewer_works_but_stays_locked_down() -> None:
    blob = ingest(io.BytesIO(samples.pdf_bytes()), "plan.pdf")
    response = blob_response(blob, "plan.pdf", inline=True)
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" not in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"].startswith("default-src 'none'; object-src 'self'")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")


def test_text_is_plain_utf8_and_always_downloaded() -> None:
    blob = ingest(io.BytesIO("Montage: étagère\n".encode()), "notes.md")
    response = blob_response(blob, "notes.md", inline=True)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (samples.zip_bytes({"a.txt": b"x"}), "parts.zip", "application/zip"),
        (samples.dxf_bytes(), "plate.dxf", "image/vnd.dxf"),
        (samples.STEP, "bracket.step", "model/step"),
        (samples.threemf_bytes(), "model.3mf", "model/3mf"),
    ],
)
def test_other_kinds_are_downloaded_even_when_inline_is_asked(
    data: bytes, name: str, content_type: str
) -> None:
    response = blob_response(ingest(io.BytesIO(data), name), name, inline=True)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")


def test_stl_may_be_shown_inline_for_the_3d_viewer() -> None:
    blob = ingest(io.BytesIO(samples.stl_bytes()), "part.stl")
    assert blob_response(blob, "part.stl", inline=True)["Content-Type"] == "model/stl"
    assert blob_response(blob, "part.stl", inline=False)["Content-Disposition"].startswith(
        "attachment;"
    )


def test_non_ascii_and_hostile_names_are_encoded_per_rfc_6266() -> None:
    blob = ingest(io.BytesIO(samples.pdf_bytes()), "plan.pdf")
    response = blob_response(blob, 'Plan d\'étagère "v2".pdf', inline=False)
    assert response["Content-Disposition"] == (
        'attachment; filename="Plan d\'_tag_re _v2_.pdf"; '
        "filename*=UTF-8''Plan%20d%27%C3%A9tag%C3%A8re%20%22v2%22.pdf"
    )
    injected = blob_response(blob, "a.pdf\r\nSet-Cookie: x=1", inline=False)
    assert "\n" not in injected["Content-Disposition"]
    assert "Set-Cookie" not in injected.headers
