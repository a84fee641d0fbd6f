"""SVG files are rebuilt from an allow-list: real attack samples come out harmless."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reproduce.files.errors import FileRejected
from reproduce.files.svg import SVG_NS, sanitize_svg
from reproduce.files.tests import samples

HEAD = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'


def clean(body: bytes) -> str:
    return sanitize_svg(HEAD + body + b"</svg>").decode()


def test_a_drawing_keeps_its_shapes_references_and_text() -> None:
    output = sanitize_svg(samples.SVG)
    root = ET.fromstring(output)  # noqa: S314 - our own sanitised output
    assert root.tag == f"{{{SVG_NS}}}svg" and root.get("viewBox") == "0 0 100 50"
    assert root.find(f".//{{{SVG_NS}}}rect").get("style") == "fill:url(#g);stroke:#000"
    assert root.find(f".//{{{SVG_NS}}}use").get("href") == "#r"
    text = root.find(f".//{{{SVG_NS}}}text")
    assert "".join(text.itertext()) == "Laser cut here"
    assert output.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_sanitising_twice_changes_nothing() -> None:
    once = sanitize_svg(samples.SVG)
    assert sanitize_svg(once) == once


def test_script_elements_are_removed() -> None:
    output = clean(b'<script type="text/javascript">alert(document.cookie)</script><rect/>')
    assert "script" not in output and "alert" not in output and "<rect" in output


@pytest.mark.parametrize("attribute", [b"onload", b"onclick", b"ONMOUSEOVER", b"onbegin"])
def test_event_handler_attributes_are_removed(attribute: bytes) -> None:
    output = clean(b"<rect " + attribute + b'="alert(1)" width="5"/>')
    assert "alert" not in output and 'width="5"' in output


def test_onload_on_the_root_is_removed() -> None:
    output = sanitize_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="10"/>'
    ).decode()
    assert "onload" not in output and 'width="10"' in output


def test_javascript_links_lose_the_link_but_keep_the_drawing() -> None:
    output = clean(b'<a xlink:href="javascript:alert(1)"><circle r="4"/></a>')
    assert "javascript" not in output and "href" not in output
    assert "<g><circle" in output


@pytest.mark.parametrize(
    "href",
    [
        b"https://evil.example/track.png",
        b"//evil.example/x.png",
        b"file:///etc/passwd",
        b"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+",
        b"javascript:alert(1)",
    ],
)
def test_external_and_active_references_are_removed(href: bytes) -> None:
    output = clean(b'<image href="' + href + b'" width="9"/><use xlink:href="' + href + b'"/>')
    assert "href" not in output


def test_embedded_raster_images_and_local_references_stay() -> None:
    png = b"data:image/png;base64,iVBORw0KGgo="
    output = clean(b'<image href="' + png + b'"/><use href="#part"/>')
    assert png.decode() in output and 'href="#part"' in output


def test_foreign_object_with_html_is_removed() -> None:
    output = clean(
        b'<foreignObject><body xmlns="http://www.w3.org/1999/xhtml">'
        b'<iframe src="javascript:alert(1)"/></body></foreignObject><rect/>'
    )
    assert "foreignObject" not in output and "iframe" not in output


def test_animation_that_could_set_a_link_is_removed() -> None:
    output = clean(b'<a><animate attributeName="href" to="javascript:alert(1)"/><set/></a>')
    assert "animate" not in output and "javascript" not in output


@pytest.mark.parametrize(
    "css",
    [
        b"@import url(https://evil.example/x.css);",
        b"rect { fill: url(https://evil.example/track) }",
        b"rect { width: expression(alert(1)) }",
        b"rect { background: \\75rl(https://evil.example) }",
    ],
)
def test_style_elements_that_load_or_run_something_are_removed(css: bytes) -> None:
    output = clean(b"<style>" + css + b"</style><rect/>")
    assert "<style" not in output and "evil" not in output


def test_safe_styles_stay() -> None:
    output = clean(b"<style>rect { fill: url(#g); stroke: red }</style><rect/>")
    assert "<style>rect { fill: url(#g); stroke: red }</style>" in output


def test_style_attributes_with_external_urls_are_removed() -> None:
    output = clean(b'<rect style="fill:url(http://evil.example/a)" fill="url(\'//evil\')"/>')
    assert "evil" not in output and "<rect" in output


def test_foreign_namespaces_and_metadata_are_dropped() -> None:
    output = sanitize_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg" '
        b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">'
        b'<inkscape:namedview inkscape:zoom="2"/><g inkscape:label="Layer 1"><path d="M0 0"/></g>'
        b"<!-- hidden --><?php echo 1 ?></svg>"
    ).decode()
    assert "inkscape" not in output and "hidden" not in output and "php" not in output
    assert '<path d="M0 0" />' in output


def test_xxe_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>'
    )
    with pytest.raises(FileRejected) as caught:
        sanitize_svg(xxe)
    assert caught.value.code == "unsafe_content"


def test_billion_laughs_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    )
    with pytest.raises(FileRejected) as caught:
        sanitize_svg(laughs)
    assert caught.value.code == "unsafe_content"


def test_a_plain_doctype_is_accepted_and_dropped() -> None:
    output = sanitize_svg(
        b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    )
    assert b"DOCTYPE" not in output and b"<rect" in output


def test_xml_that_is_not_svg_is_refused() -> None:
    with pytest.raises(FileRejected):
        sanitize_svg(b'<html xmlns="http://www.w3.org/1999/xhtml"><script/></html>')
