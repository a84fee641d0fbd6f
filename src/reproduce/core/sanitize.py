"""Rich text from users is cleaned with nh3 (Ammonia) before it is stored."""

import html

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def clean_html(value: str) -> str:
    """Keep simple formatting; drop scripts, event handlers, styles and unsafe links."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(value: str) -> str:
    """Strip every tag (for names and short labels)."""
    # Templates escape on output; store the text itself, not HTML entities.
    return html.unescape(nh3.clean(value or "", tags=set())).strip()
