"""The departments of the company and the rights each one's group carries.

Groups and departments are created by a data migration; their permissions are
(re)synced after every `migrate`, because later apps bring new permissions.
An app that arrives later adds its grants to GRANTS below.

A grant is "app_label.codename", "app_label.*" (every permission of the app)
or "app_label.view_*" (every view permission of the app); a grant starting
with "!" takes rights away again ("!service.view_all_tickets").
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str  # the group's name, English; shown translated in the UI
    office: str
    label: object = None


DEPARTMENTS = [
    DepartmentSpec("customer-service", "Customer Service", "front", _("Customer Service")),
    DepartmentSpec("sales", "Sales", "front", _("Sales")),
    DepartmentSpec("marketing", "Marketing", "front", _("Marketing")),
    DepartmentSpec("hr", "HR", "back", _("HR")),
    DepartmentSpec("finance", "Finance", "back", _("Finance")),
    DepartmentSpec("it", "IT", "back", _("IT")),
    DepartmentSpec("logistics", "Logistics", "back", _("Logistics")),
    DepartmentSpec("legal", "Legal", "back", _("Legal")),
    DepartmentSpec("management", "Management", "management", _("Management")),
]

_SEE_KERNEL = ["parties.view_*", "catalog.view_*", "audit.view_auditentry"]
_KEEP_CUSTOMERS = [
    "parties.add_organization",
    "parties.change_organization",
    "parties.add_person",
    "parties.change_person",
    "parties.add_address",
    "parties.change_address",
    "parties.invite_portal_user",
]

_CRM_WORK = [
    "crm.view_account",
    "crm.view_contactprofile",
    "crm.view_activity",
    "crm.add_activity",
    "crm.change_activity",
]

# What the orders' other readers need: service answers "where is my order?", finance and logistics act on them.
_SEE_ORDERS = ["sales.view_salesorder", "sales.view_salesorderline", "sales.view_credithold"]
# Where goods are: service answers "where is my order?" and looks up a serial number from a ticket.
_SEE_DELIVERIES = [
    "logistics.view_deliveryorder",
    "logistics.view_deliveryline",
    "logistics.view_lot",
    "logistics.view_stockmove",
]

GRANTS: dict[str, list[str]] = {
    "customer-service": [
        *_SEE_KERNEL,
        *_KEEP_CUSTOMERS,
        *_CRM_WORK,
        *_SEE_ORDERS,
        *_SEE_DELIVERIES,
        "service.*",
        "!service.view_all_tickets",  # an agent sees the tickets of their queues and their own
        "helpcenter.*",
    ],
    "sales": [*_SEE_KERNEL, *_KEEP_CUSTOMERS, "crm.*", "sales.*", "logistics.view_deliveryorder"],
    "marketing": [
        *_SEE_KERNEL,
        "sales.view_lead",
        "sales.add_lead",
        "sales.change_lead",
        "parties.add_person",
        "parties.change_person",
        "crm.view_*",
        "crm.change_contactprofile",
    ],
    "hr": [*_SEE_KERNEL],
    "finance": [
        *_SEE_KERNEL,
        *_SEE_ORDERS,
        "finance.*",  # the ledger: only Finance changes it, only Finance and Management see it
        "parties.change_organization",
        "parties.add_address",
        "parties.change_address",
        "catalog.add_product",
        "catalog.change_product",
        "catalog.*",
    ],
    "it": [
        *_SEE_KERNEL,
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_department",
        "audit.*",
        "bus.view_outboxevent",
        "bus.view_delivery",
        "bus.change_delivery",  # retry and discard dead letters
        "notifications.view_failedmail",
        "notifications.change_failedmail",  # send failed e-mail again
    ],
    "logistics": [
        *_SEE_KERNEL,
        *_SEE_ORDERS,
        "parties.add_organization",
        "parties.change_organization",
        "parties.add_address",
        "parties.change_address",
        "catalog.add_product",
        "catalog.change_product",
        "catalog.add_unit",
        "catalog.change_unit",
        "logistics.*",  # stock, moves, deliveries: only Logistics changes them
    ],
    "legal": [*_SEE_KERNEL, "parties.change_organization"],
    "management": [
        *_SEE_KERNEL,
        "crm.view_*",
        "sales.view_*",
        "service.view_*",
        "helpcenter.view_*",
        "finance.view_*",
        "logistics.view_*",
        "accounts.view_user",
        "accounts.view_department",
        "audit.*",
        "bus.view_outboxevent",
        "bus.view_delivery",
    ],
}


def _resolve(grant: str, permission_model) -> list:
    app_label, _sep, codename = grant.partition(".")
    permissions = permission_model.objects.filter(content_type__app_label=app_label)
    if codename == "*":
        return list(permissions)
    if codename.endswith("*"):
        return list(permissions.filter(codename__startswith=codename[:-1]))
    return list(permissions.filter(codename=codename))


def sync_department_permissions(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create missing departments and give each group exactly its granted rights."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    department_model = apps.get_model("accounts", "Department")
    for spec in DEPARTMENTS:
        group, _created = group_model.objects.using(using).get_or_create(name=spec.name)
        department_model.objects.using(using).get_or_create(
            code=spec.code, defaults={"group": group, "office": spec.office}
        )
        grants = GRANTS.get(spec.code, [])
        wanted = {p.pk for grant in grants if not grant.startswith("!") for p in _resolve(grant, permission_model)}
        unwanted = {p.pk for grant in grants if grant.startswith("!") for p in _resolve(grant[1:], permission_model)}
        group.permissions.set(wanted - unwanted)


def sync_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate is sent once per app with models; sync after the last of those, when every permission exists.

    (An app without models, such as one that only declares events, gets no signal: it must not be the one waited for.)
    """
    if sender is last_app_with_models():
        sync_department_permissions(using=using)


def last_app_with_models():
    return [config for config in global_apps.get_app_configs() if config.models_module is not None][-1]
