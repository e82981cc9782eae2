"""Every write to the catalog."""

from typing import Any

from django.db import transaction

from core.accounts.models import User
from core.audit.models import AuditEntry
from core.audit.services import audit_record, changes_between, snapshot
from core.catalog.models import Product

PRODUCT_FIELDS = ["sku", "name", "description", "type", "unit", "list_price", "currency", "tax_rate", "is_active"]


def _apply(product: Product, values: dict[str, Any]) -> None:
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(product, name, value)
    product.sku = product.sku.strip().upper()
    product.full_clean()


@transaction.atomic
def product_create(*, actor: User | None, **values: Any) -> Product:
    """Add a product to the catalog."""
    product = Product()
    _apply(product, values)
    product.save()
    audit_record(actor=actor, instance=product, action=AuditEntry.Action.CREATE)
    return product


@transaction.atomic
def product_update(*, actor: User | None, product: Product, **values: Any) -> Product:
    """Change a product; price and VAT changes are in the audit trail."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = snapshot(product, list(values))
    _apply(product, values)
    changes = changes_between(before, snapshot(product, list(values)))
    if changes:
        product.save()
        audit_record(actor=actor, instance=product, action=AuditEntry.Action.UPDATE, changes=changes)
    return product
