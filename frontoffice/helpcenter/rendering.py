"""Markdown to safe HTML: what an article's author writes can never run in a reader's browser.

Two locks, each enough on its own for the common attacks: markdown-it-py
renders with raw HTML off (a typed <script> comes out as text), and nh3 then
keeps only an allowlist of tags, attributes and URL schemes.
"""

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align", "style"},
    "td": {"align", "style"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Table alignment is the only inline style markdown-it writes; nothing else of CSS gets through.
ALLOWED_CSS = {"text-align"}

EXCERPT_LENGTH = 200


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(html: str) -> str:
    """Keep only the allowlisted tags and attributes; links get rel="noopener noreferrer"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        filter_style_properties=ALLOWED_CSS,
    )


def render_markdown(text: str) -> str:
    """An article's Markdown as HTML that is safe to put on a page as it is."""
    return sanitize_html(_parser().render(text or ""))


def plain_excerpt(rendered: str, length: int = EXCERPT_LENGTH) -> str:
    """The first words of rendered HTML as plain text, for search results and suggestions."""
    text = nh3.clean(rendered, tags=set())
    text = re.sub(r"\s+", " ", html.unescape(text)).strip()
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0]
    return f"{cut}…"
