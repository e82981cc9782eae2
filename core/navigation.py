"""The staff sidebar: sections grouped by office, each item shown only to users who may use it.

Apps add their items in their AppConfig.ready() with `register(...)`, so the
kernel never imports a department app.

Every staff page shows the sidebar, so its HTML is kept per process for each
combination that decides it (language, which items the user may open, which
one is active): users with the same rights share one copy, and a change of
rights simply leads to another combination.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

OFFICES = [
    ("overview", _("Overview")),
    ("front", _("Front office")),
    ("back", _("Back office")),
    ("system", _("System")),
]


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    icon: str
    office: str
    permission: str = ""  # "app_label.codename"; empty: every staff user
    allowed: Callable | None = None  # extra test, given the user
    order: int = 100
    match: str = field(default="")  # path prefix that marks the item active

    def url(self) -> str:
        return _url(self.url_name, get_script_prefix())

    def is_active(self, current_path: str) -> bool:
        """`match` ending in "$" must equal the path; otherwise the path starts with it (or the URL)."""
        if self.match.endswith("$"):
            return current_path == self.match[:-1]
        return current_path.startswith(self.match or self.url())

    def is_allowed(self, user, permissions: set[str]) -> bool:
        if self.permission and not (user.is_superuser or self.permission in permissions):
            return False
        return self.allowed(user) if self.allowed else True


_ITEMS: list[NavItem] = []


def register(*items: NavItem) -> None:
    for item in items:
        if item.url_name not in {existing.url_name for existing in _ITEMS}:
            _ITEMS.append(item)
    _sidebar_html.cache_clear()


@lru_cache(maxsize=256)
def _url(url_name: str, script_prefix: str) -> str:
    return reverse(url_name)


def _flags(user, current_path: str) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """What decides the sidebar: may the user open each registered item, and is each allowed one active."""
    permissions = user.get_all_permissions()  # from the cache (core.accounts.backends), one Redis read at most
    allowed = tuple(item.is_allowed(user, permissions) for item in _ITEMS)
    active = tuple(item.is_active(current_path) for item, is_allowed in zip(_ITEMS, allowed, strict=True) if is_allowed)
    return allowed, active


def _sections(allowed: tuple[bool, ...], active: tuple[bool, ...]) -> list[dict]:
    visible = [item for item, is_allowed in zip(_ITEMS, allowed, strict=True) if is_allowed]
    sections = []
    for office, label in OFFICES:
        positions = sorted(
            (position for position, item in enumerate(visible) if item.office == office),
            key=lambda position: (visible[position].order, str(visible[position].label)),
        )
        if positions:
            items = [
                {
                    "label": visible[position].label,
                    "url": visible[position].url(),
                    "icon": visible[position].icon,
                    "active": active[position],
                }
                for position in positions
            ]
            sections.append({"office": office, "label": label, "items": items})
    return sections


def sections_for(user, current_path: str) -> list[dict]:
    """The sidebar for one user: offices in order, each with the items they may open."""
    return _sections(*_flags(user, current_path))


def sidebar_html(user, current_path: str) -> SafeString:
    """The rendered sidebar for one user on one page, from the per-process copy when there is one."""
    return _sidebar_html(get_language() or "", get_script_prefix(), *_flags(user, current_path))


@lru_cache(maxsize=512)
def _sidebar_html(language: str, script_prefix: str, allowed: tuple[bool, ...], active: tuple[bool, ...]) -> SafeString:
    return SafeString(render_to_string("staff/_sidebar.html", {"sections": _sections(allowed, active)}))
