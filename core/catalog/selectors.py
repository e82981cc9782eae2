from django.db.models import Q, QuerySet

from core.catalog.models import Product

PRODUCT_ORDERINGS = {"name", "-name", "sku", "-sku", "list_price", "-list_price"}


def product_list(
    *, search: str = "", type: str = "", is_active: bool | None = None, ordering: str = "name"
) -> QuerySet[Product]:
    """Products for a list page with unit, VAT and currency joined in."""
    queryset = Product.objects.select_related("unit", "tax_rate", "currency")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(sku__istartswith=search))
    if type:
        queryset = queryset.filter(type=type)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if ordering not in PRODUCT_ORDERINGS:
        ordering = "name"
    return queryset.order_by(ordering, "pk")
