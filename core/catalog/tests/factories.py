from decimal import Decimal

import factory

from core.catalog.models import Product, TaxRate, Unit


class ProductFactory(factory.django.DjangoModelFactory):
    """A product priced in SEK with 25 % VAT (the reference data comes from migrations)."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    type = Product.Type.GOODS
    unit = factory.LazyFunction(lambda: Unit.objects.get(code="pcs"))
    list_price = Decimal("100.00")
    currency_id = "SEK"
    tax_rate = factory.LazyFunction(lambda: TaxRate.objects.get(code="se-25"))
