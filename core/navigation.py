"""The staff sidebar: sections grouped by office, each item shown only to users who may use it.

Apps add their items in their AppConfig.ready() with `register(...)`, so the
kernel never imports a department app.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
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
        return reverse(self.url_name)

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


def sections_for(user, current_path: str) -> list[dict]:
    """The sidebar for one user: offices in order, each with the items they may open."""
    permissions = user.get_all_permissions()  # cached on the user for this request
    sections = []
    for office, label in OFFICES:
        items = sorted(
            (item for item in _ITEMS if item.office == office and item.is_allowed(user, permissions)),
            key=lambda item: (item.order, str(item.label)),
        )
        if items:
            sections.append(
                {
                    "office": office,
                    "label": label,
                    "items": [
                        {
                            "label": item.label,
                            "url": item.url(),
                            "icon": item.icon,
                            "active": item.is_active(current_path),
                        }
                        for item in items
                    ],
                }
            )
    return sections
