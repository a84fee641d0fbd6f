"""SVG files are rebuilt from an allow-list before they are stored.

An SVG is an XML document that a browser can run: ``<script>``, ``onload=``, ``javascript:``
links, external images and stylesheets that call home. Blocking the bad parts (a deny-list)
always misses one, so the stored file is a new document that keeps only known drawing
elements and presentation attributes; everything else, including comments, processing
instructions and the DTD, is left out. Parsing goes through defusedxml, so entity tricks
(billion laughs, XXE reading local files) are refused before any tree exists.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET
from django.utils.translation import gettext_lazy as _

from reproduce.files.errors import Codes, FileRejected

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ALLOWED_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "switch", "title", "desc", "style",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "image",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern", "marker",
        "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
        "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
        "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset", "feTile",
        "feTurbulence", "feDisplacementMap",
    }
)  # fmt: skip
# A link's drawing stays, the link goes.
RENAMED_ELEMENTS = {"a": "g"}

ALLOWED_ATTRIBUTES = frozenset(
    {
        "id", "class", "style", "transform", "viewBox", "preserveAspectRatio", "version",
        "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
        "fx", "fy", "fr", "d", "points", "pathLength", "href",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
        "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
        "stroke-opacity", "opacity", "color", "display", "visibility", "overflow",
        "clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits", "maskContentUnits",
        "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight",
        "markerUnits", "refX", "refY", "orient", "vector-effect", "shape-rendering",
        "paint-order", "mix-blend-mode",
        "font-family", "font-size", "font-weight", "font-style", "font-variant",
        "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift",
        "letter-spacing", "word-spacing", "writing-mode", "text-decoration", "dx", "dy",
        "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing", "side",
        "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
        "spreadMethod", "patternUnits", "patternContentUnits", "patternTransform",
        "filter", "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation",
        "mode", "operator", "k1", "k2", "k3", "k4", "values", "type", "flood-color",
        "flood-opacity", "radius", "tableValues", "slope", "intercept", "amplitude",
        "exponent", "baseFrequency", "numOctaves", "seed", "stitchTiles", "scale",
        "xChannelSelector", "yChannelSelector", "color-interpolation-filters",
    }
)  # fmt: skip

# CSS that loads something (url() other than a local #reference, @import), runs something
# (expression(), javascript:, -moz-binding, behavior) or hides any of these behind escapes.
_UNSAFE_CSS = re.compile(
    r"url\s*\(\s*['\"]?\s*(?!#)|@import|expression\s*\(|javascript\s*:|-moz-binding|"
    r"behavior\s*:|\\",
    re.IGNORECASE,
)
# Raster images embedded in the file cannot run anything and are common in engraving work.
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z")


def parse_svg(data: bytes) -> Element:
    """Parse untrusted XML; entity declarations and external references are refused."""
    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise FileRejected(
            _(
                "The SVG file declares XML entities or external references, which are not "
                "accepted. Export it again from your drawing program."
            ),
            code=Codes.UNSAFE_CONTENT,
        ) from exc
    except ET.ParseError as exc:
        raise FileRejected(
            _("The SVG file is not well-formed XML and cannot be read."), code=Codes.CORRUPT
        ) from exc


def local_name(tag: str) -> tuple[str, str]:
    """``"{ns}name"`` → ``("ns", "name")``; ``"name"`` → ``("", "name")``."""
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


ACTIVE_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object", "handler"})


def refuse_active_content(root: Element) -> None:
    """A drawing that carries scripts is refused with a clear message rather than silently
    changed: the designer learns that the file is not what a workshop should receive."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element.tag)[1]
        handlers = [k for k in element.attrib if local_name(k)[1].lower().startswith("on")]
        scripted_link = any(
            local_name(k)[1] == "href" and "javascript:" in v.replace(" ", "").lower()
            for k, v in element.attrib.items()
        )
        if name in ACTIVE_ELEMENTS or handlers or scripted_link:
            what = (
                f"<{name}>"
                if name in ACTIVE_ELEMENTS
                else (handlers[0] if handlers else "javascript:")
            )
            raise FileRejected(
                _(
                    "This SVG contains active content (%(what)s) that could run in a browser. "
                    "Save it again as a plain drawing (in Inkscape: File › Save As › "
                    "Plain SVG) and upload that."
                )
                % {"what": what},
                code=Codes.UNSAFE_CONTENT,
            )


def sanitize_svg(data: bytes) -> bytes:
    """Return a clean copy of the SVG document ``data`` (UTF-8, no DTD, no active content).

    Whatever is outside the allow-list (comments, metadata, editor namespaces — and scripts,
    should one get here) is dropped. Uploads go through :func:`accept_svg` first."""
    root = parse_svg(data)
    clean = _clean_element(root)
    if clean is None or local_name(clean.tag)[1] != "svg":
        raise FileRejected(_("The file is XML but not an SVG drawing."), code=Codes.CORRUPT)
    # Plain tag names and an explicit xmlns: the output needs no namespace prefixes.
    clean.set("xmlns", SVG_NS)
    body = ET.tostring(clean, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8")


def accept_svg(data: bytes) -> bytes:
    """An uploaded SVG: refused if it carries active content, otherwise stored cleaned."""
    refuse_active_content(parse_svg(data))
    return sanitize_svg(data)


def _clean_element(element: Element) -> Element | None:
    if not isinstance(element.tag, str):  # comments and processing instructions
        return None
    namespace, name = local_name(element.tag)
    name = RENAMED_ELEMENTS.get(name, name)
    if namespace not in ("", SVG_NS) or name not in ALLOWED_ELEMENTS:
        return None
    if name == "style" and _UNSAFE_CSS.search(element.text or ""):
        return None
    clean = Element(name, _clean_attributes(element, name))
    clean.text = element.text
    for child in element:
        kept = _clean_element(child)
        if kept is not None:
            kept.tail = child.tail
            clean.append(kept)
    return clean


def _clean_attributes(element: Element, name: str) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in element.attrib.items():
        namespace, attribute = local_name(key)
        if namespace == XML_NS and attribute == "space":
            kept[key] = value
            continue
        if namespace == XLINK_NS and attribute == "href":
            namespace = ""  # SVG 2 plain href, understood by every current browser
        if namespace or attribute.lower().startswith("on"):
            continue
        if attribute not in ALLOWED_ATTRIBUTES or _UNSAFE_CSS.search(value):
            continue
        if attribute == "href" and not _safe_href(value, name):
            continue
        kept[attribute] = value
    return kept


def _safe_href(value: str, element: str) -> bool:
    reference = value.strip()
    if reference.startswith("#"):
        return True
    return element == "image" and bool(_DATA_IMAGE.match(reference))
