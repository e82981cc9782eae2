"""Parts of the page layouts rendered once per language and filled in per request.

The staff top bar is the same markup on every page for every user except a handful of values (the user's name,
the search text, the bell, the CSRF token, the page's own address). Through the template language it cost about
half a millisecond a page. A `Skeleton` renders its template once per language and script prefix with
placeholders for those values (they must appear as plain `{{ name }}` or through `{% csrf_token %}` and
`request.get_full_path`) and fills them in with `str.replace`, escaped as the template would have escaped them.
"""

from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

_MARK = "\x02kontor-{}\x03"  # no character that escaping changes, none that real values contain


class _Request:
    """What the skeleton's templates may ask of the request: its address (a placeholder)."""

    def get_full_path(self) -> str:
        return _MARK.format("path")


class Skeleton:
    """A template rendered once per language, script prefix and variant, with placeholders filled per request.

    The template's first line loads its tag libraries and renders to a line break, which is dropped. `variant`
    (name, value) pairs are template variables that choose between fixed alternatives (signed in or not).
    """

    def __init__(self, template_name: str, names: tuple[str, ...]) -> None:
        self.template_name = template_name
        self.names = names
        self._render = lru_cache(maxsize=64)(self._render_once)

    def _render_once(self, language: str, script_prefix: str, variant: tuple[tuple[str, bool], ...]) -> str:
        context = {name: mark_safe(_MARK.format(name)) for name in self.names}
        context |= {"csrf_token": _MARK.format("csrf"), "request": _Request(), **dict(variant)}
        return render_to_string(self.template_name, context).removeprefix("\n")

    def render(self, *, csrf_token: str, path: str, variant=(), **values) -> SafeString:
        """The markup with the values in place: text is escaped, SafeString (markup) is put in as it is."""
        key = (get_language() or "", get_script_prefix(), tuple(variant))
        # With DEBUG on, templates are read afresh on every request (no cached loader): so is the skeleton.
        html = self._render_once(*key) if settings.DEBUG else self._render(*key)
        html = html.replace(_MARK.format("csrf"), conditional_escape(csrf_token))
        html = html.replace(_MARK.format("path"), conditional_escape(path))
        for name in self.names:
            html = html.replace(_MARK.format(name), conditional_escape(values.get(name, "")))
        return SafeString(html)


STAFF_TOPBAR = Skeleton("staff/_topbar.html", ("bell", "query", "initial", "full_name", "email"))


@lru_cache(maxsize=256)
def _bell(language: str, script_prefix: str, count: int) -> SafeString:
    return SafeString(render_to_string("core/_bell.html", {"unread_notifications": count}))


def staff_topbar(context) -> SafeString:
    """The staff layout's top bar for the request in this template context (templates/staff/_topbar.html)."""
    user, request = context["user"], context["request"]
    unread = context.get("unread_notifications")
    count = unread() if callable(unread) else unread
    signed_in = user.is_authenticated  # the layout is for staff; an error page may still show it to anyone
    short_name = user.get_short_name() if signed_in else ""
    return STAFF_TOPBAR.render(
        csrf_token=str(context.get("csrf_token") or ""),
        path=request.get_full_path(),
        bell=(_bell.__wrapped__ if settings.DEBUG else _bell)(
            get_language() or "", get_script_prefix(), int(count or 0)
        ),
        query=context.get("query") or "",
        initial=short_name[:1].upper(),
        full_name=user.get_full_name() if signed_in else "",
        email=user.email if signed_in else "",
    )


PORTAL_HEADER_START = Skeleton("portal/_header_start.html", ())
PORTAL_HEADER_END = Skeleton("portal/_header_end.html", ("next_encoded", "initial", "email"))


def _portal_variant(user) -> tuple[tuple[str, bool], ...]:
    signed_in = user.is_authenticated
    return (("signed_in", signed_in), ("customer", bool(signed_in and user.is_customer)))


def portal_header_start(context) -> SafeString:
    """The portal header up to its page-specific links (templates/portal/_header_start.html)."""
    request = context["request"]
    return PORTAL_HEADER_START.render(
        csrf_token="", path=request.get_full_path(), variant=_portal_variant(context["user"])
    )


def portal_header_end(context) -> SafeString:
    """The portal header after its page-specific links: sign-in link or account menu (_header_end.html)."""
    user, request = context["user"], context["request"]
    path = request.get_full_path()
    signed_in = user.is_authenticated
    return PORTAL_HEADER_END.render(
        csrf_token=str(context.get("csrf_token") or ""),
        path=path,
        variant=_portal_variant(user),
        next_encoded=quote(path, safe="/"),
        initial=user.get_short_name()[:1].upper() if signed_in else "",
        email=user.email if signed_in else "",
    )
