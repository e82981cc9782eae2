"""Markdown to HTML: what an author writes renders as text and links, never as script."""

from html.parser import HTMLParser

import pytest

from frontoffice.helpcenter.rendering import ALLOWED_TAGS, plain_excerpt, render_markdown, sanitize_html

XSS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "![pic](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
]


class _Elements(HTMLParser):
    """The tags and attributes a browser would build from the HTML (text is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


@pytest.mark.parametrize("text", XSS)
def test_hostile_input_renders_inert(text):
    for tag, attributes in _elements(render_markdown(text)):
        assert tag in ALLOWED_TAGS
        assert tag not in {"script", "iframe", "svg", "div", "style"}
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        for name in ("href", "src"):
            url = (attributes.get(name) or "").strip().lower()
            assert not url.startswith(("javascript:", "data:", "vbscript:")), url


def test_hostile_markup_comes_out_as_text():
    assert render_markdown('<img src="x" onerror="alert(1)">') == ('<p>&lt;img src="x" onerror="alert(1)"&gt;</p>\n')
    assert render_markdown("[click](javascript:alert(1))") == "<p>[click](javascript:alert(1))</p>\n"
    assert _elements(render_markdown('[x](https://ok.example "t\\" onmouseover=\\"alert(1)")')) == [
        ("p", {}),
        ("a", {"href": "https://ok.example", "title": 't" onmouseover="alert(1)', "rel": "noopener noreferrer"}),
    ]


def test_raw_html_is_shown_as_text():
    assert render_markdown("Hello <b>world</b> & <script>x()</script>") == (
        "<p>Hello &lt;b&gt;world&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;</p>\n"
    )


def test_sanitizer_alone_strips_scripts_handlers_and_bad_urls():
    dirty = (
        '<p onclick="x()">Hi<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">a</a><img src="x" onerror="y()"><a href="https://ok.example">ok</a>'
    )
    assert sanitize_html(dirty) == (
        '<p>Hi</p><a rel="noopener noreferrer">a</a><img src="x">'
        '<a href="https://ok.example" rel="noopener noreferrer">ok</a>'
    )


def test_markdown_features_survive():
    html = render_markdown(
        "## Steps\n\n1. **Open** the [portal](https://portal.example/help)\n2. Type `code`\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~old~~ > quote"
    )
    assert "<h2>Steps</h2>" in html
    assert '<a href="https://portal.example/help" rel="noopener noreferrer">portal</a>' in html
    assert "<strong>Open</strong>" in html
    assert "<code>code</code>" in html
    assert '<th style="text-align:left">a</th>' in html
    assert "<s>old</s>" in html


def test_relative_and_mailto_links_are_kept():
    assert render_markdown("[a](/portal/help/x/) [b](mailto:help@kontor.example)") == (
        '<p><a href="/portal/help/x/" rel="noopener noreferrer">a</a> '
        '<a href="mailto:help@kontor.example" rel="noopener noreferrer">b</a></p>\n'
    )


def test_excerpt_is_plain_text_cut_at_a_word():
    html = render_markdown("# Title\n\nSome **bold** text & more. " + "word " * 100)
    excerpt = plain_excerpt(html, length=40)
    assert excerpt == "Title Some bold text & more. word word…"
    assert len(excerpt) <= 40
