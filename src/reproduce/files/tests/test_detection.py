"""The kind comes from the content, each format is really parsed, and the name must agree."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reproduce.files.detection import check_extension, detect
from reproduce.files.errors import FileRejected
from reproduce.files.tests import samples


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(data: bytes) -> Path:
        path = tmp_path / "upload"
        path.write_bytes(data)
        return path

    return make


def refusal(path: Path) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        detect(path)
    return caught.value


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.stl_bytes(), "stl"),
        (samples.stl_bytes(ascii=True), "stl"),
        (samples.image_bytes("PNG"), "png"),
        (samples.image_bytes("JPEG"), "jpeg"),
        (samples.image_bytes("WEBP"), "webp"),
        (samples.image_bytes("GIF"), "gif"),
        (samples.pdf_bytes(), "pdf"),
        (samples.dxf_bytes(), "dxf"),
        (samples.STEP, "step"),
        (samples.SVG, "svg"),
        (samples.threemf_bytes(), "threemf"),
        (samples.zip_bytes({"notes.txt": b"cut at 3 mm"}), "zip"),
        (b"Assembly notes\n\n- glue the back panel first\n", "text"),
        ("# Montage\n\nPlaque d'érable, 6 mm.\n".encode(), "text"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_real_files_are_detected_from_their_content(write, data: bytes, kind: str) -> None:
    assert detect(write(data)).kind == kind


def test_detection_reads_useful_details(write) -> None:
    stl = detect(write(samples.stl_bytes())).meta
    assert stl["triangles"] == 12
    assert stl["bbox_min_mm"] == [0.0, 0.0, 0.0] and stl["size_mm"] == [20.0, 20.0, 20.0]
    assert detect(write(samples.image_bytes(size=(64, 48)))).meta == {"width": 64, "height": 48}
    assert detect(write(samples.pdf_bytes(pages=3))).meta["pages"] == 3
    dxf = detect(write(samples.dxf_bytes())).meta
    assert dxf["entities"] == 3 and dxf["units"] == 4
    assert detect(write(samples.SVG)).meta["viewBox"] == "0 0 100 50"
    assert "214" in detect(write(samples.STEP)).meta["schema"]


def test_binary_stl_whose_header_starts_with_solid_is_still_binary(write) -> None:
    data = bytearray(samples.stl_bytes())
    data[:20] = b"solid exported by X ".ljust(20)
    assert detect(write(bytes(data))).meta["triangles"] == 12


def test_empty_and_unknown_binary_files_are_refused(write) -> None:
    assert refusal(write(b"")).code == "empty_file"
    assert refusal(write(b"MZ\x90\x00\x03\x00\x00\x00" * 40)).code == "unsupported_type"
    assert refusal(write("caf\xe9 latin-1".encode("latin-1"))).code == "unsupported_type"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body>Specs</body></html>",
        b"\n  <html lang='en'><p>Specs</p></html>",
        b"Specs of the part\n<p>see below</p>\n<SCRIPT>alert(1)</SCRIPT>\n",
    ],
)
def test_html_is_refused_even_when_named_txt(write, data: bytes) -> None:
    rejected = refusal(write(data))
    assert rejected.code == "html_refused"
    assert str(rejected) == "HTML pages are not accepted: save the page as PDF."


def test_a_script_tag_across_the_scan_chunks_is_found(write) -> None:
    # The text is scanned in 1 MB chunks; the tag straddles the boundary.
    data = b"a" * (1024 * 1024 - 3) + b"<script>x</script>"
    assert refusal(write(data)).code == "html_refused"


def test_an_xml_document_that_is_not_svg_is_plain_text(write) -> None:
    assert detect(write(b'<?xml version="1.0"?><parts><part>A</part></parts>')).kind == "text"


def test_svg_with_a_script_is_detected_as_svg_to_be_sanitised(write) -> None:
    data = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert detect(write(data)).kind == "svg"


@pytest.mark.parametrize(
    "data",
    [
        samples.image_bytes("PNG")[:60],  # truncated
        samples.image_bytes("JPEG")[:40],
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 20,
        samples.pdf_bytes()[:-200],  # no %%EOF
        samples.STEP.replace(b"END-ISO-10303-21;", b""),
        b"solid part\nfacet normal 0 0 1\n outer loop\n vertex 0 0\n",  # broken ASCII STL
        b"  0\nSECTION\n  2\nENTITIES\n  0\nLINE\n 10\nnot-a-number\n  0\nENDSEC\n  0\nEOF\n",
        samples.dxf_bytes()[:3000],
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect></svg>',
        samples.zip_bytes({"a.txt": b"x" * 100})[:-30],
    ],
    ids=[
        "png-truncated",
        "jpeg-truncated",
        "png-garbage",
        "pdf-no-eof",
        "step-no-end",
        "stl-ascii-broken",
        "dxf-bad-number",
        "dxf-truncated",
        "svg-not-well-formed",
        "zip-truncated",
    ],
)
def test_damaged_files_are_refused(write, data: bytes) -> None:
    assert refusal(write(data)).code == "corrupt"


def test_stl_with_non_finite_coordinates_is_refused(write) -> None:
    triangles = samples.cube_triangles()
    triangles[3, 1, 2] = np.nan
    assert refusal(write(samples.stl_bytes(triangles=triangles))).code == "corrupt"


def test_binary_stl_without_triangles_is_refused(write) -> None:
    assert refusal(write(b"\x00" * 80 + struct.pack("<I", 0))).code == "corrupt"


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_image_is_refused(write) -> None:
    rejected = refusal(write(_png_header_only(100_000, 100_000)))
    assert rejected.code == "image_too_large"
    assert "megapixels" in str(rejected)


def test_image_just_over_the_pixel_limit_is_refused_too(write, monkeypatch) -> None:
    # Pillow only warns between the limit and twice the limit; we refuse from the limit.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 48 - 1)
    with pytest.warns(Image.DecompressionBombWarning):
        assert refusal(write(samples.image_bytes(size=(64, 48)))).code == "image_too_large"


def test_binary_dxf_is_refused_with_a_clear_message(write) -> None:
    rejected = refusal(write(b"AutoCAD Binary DXF\r\n\x1a\x00" + b"\x00" * 40))
    assert rejected.code == "unsupported_type" and "ASCII DXF" in str(rejected)


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("part.STL", "stl"),
        ("photo.jpg", "jpeg"),
        ("photo.JPEG", "jpeg"),
        ("bracket.stp", "step"),
        ("bracket.step", "step"),
        ("README.md", "text"),
        ("notes.txt", "text"),
        ("model.3mf", "threemf"),
    ],
)
def test_matching_extensions_are_accepted(filename: str, kind: str) -> None:
    check_extension(filename, kind)


def test_an_extension_that_lies_is_refused_naming_both() -> None:
    with pytest.raises(FileRejected) as caught:
        check_extension("bracket.stl", "png")
    assert caught.value.code == "type_mismatch"
    assert str(caught.value) == "This file is named .stl but its content is a PNG image."


def test_a_name_without_extension_is_refused() -> None:
    with pytest.raises(FileRejected) as caught:
        check_extension("bracket", "stl")
    assert caught.value.code == "type_mismatch"
    assert ".stl" in str(caught.value)
