"""Reads for the staff shell: the dashboard's figures and the global search."""

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.audit.selectors import audit_entries_recent
from core.catalog.selectors import product_list
from core.parties.models import Organization, Person
from core.parties.selectors import organization_list, person_list

SEARCH_LIMIT = 6


def global_search(*, user, query: str) -> dict[str, Any]:
    """The best few matches of each kind the user may view."""
    results: dict[str, Any] = {}
    if user.has_perm("parties.view_organization"):
        results["organizations"] = list(organization_list(search=query)[:SEARCH_LIMIT])
    if user.has_perm("parties.view_person"):
        results["people"] = list(person_list(search=query)[:SEARCH_LIMIT])
    if user.has_perm("catalog.view_product"):
        results["products"] = list(product_list(search=query)[:SEARCH_LIMIT])
    results["total"] = sum(len(value) for value in results.values())
    return results


def _card(label, value: int, icon: str, url_name: str, query: str) -> dict[str, Any]:
    return {"label": label, "value": value, "icon": icon, "url": f"{reverse(url_name)}?{query}"}


def dashboard_figures(*, user) -> dict[str, Any]:
    """KPI cards and recent changes for the staff start page, each only if the user may see it."""
    cards = []
    if user.has_perm("parties.view_organization"):
        counts = Organization.objects.aggregate(
            customers=Count("pk", filter=Q(roles__contains=["customer"], is_active=True)),
            suppliers=Count("pk", filter=Q(roles__contains=["supplier"], is_active=True)),
        )
        cards.append(
            _card(_("Active customers"), counts["customers"], "building", "parties:organization-list", "role=customer")
        )
        cards.append(
            _card(_("Active suppliers"), counts["suppliers"], "truck", "parties:organization-list", "role=supplier")
        )
    if user.has_perm("parties.view_person"):
        portal_users = Person.objects.filter(user__isnull=False, user__is_active=True).count()
        cards.append(
            _card(_("Customers on the portal"), portal_users, "person-badge", "parties:person-list", "portal=yes")
        )
    if user.has_perm("catalog.view_product"):
        active_products = product_list(is_active=True).count()
        cards.append(_card(_("Products for sale"), active_products, "box-seam", "catalog:product-list", "active=yes"))
    recent = list(audit_entries_recent(limit=8)) if user.has_perm("audit.view_auditentry") else []
    return {"cards": cards, "recent_changes": recent}
