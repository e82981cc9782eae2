"""The locations every installation has: the outside world each move starts or ends in, and a main warehouse
with its stock location. Ensured after every migrate; what people added or renamed is left alone."""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

VIRTUAL = [
    ("SUPPLIERS", "Suppliers", "supplier"),
    ("CUSTOMERS", "Customers", "customer"),
    ("ADJUSTMENT", "Inventory loss and gain", "adjustment"),
    ("PRODUCTION", "Production", "production"),
    ("SCRAP", "Scrap", "scrap"),
]
MAIN_WAREHOUSE = ("WH", "Main warehouse")
STOCK_CODE = "STOCK"


def ensure_reference(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    location = apps.get_model("logistics", "Location")
    warehouse = apps.get_model("logistics", "Warehouse")
    known = set(location.objects.using(using).filter(warehouse__isnull=True).values_list("code", flat=True))
    location.objects.using(using).bulk_create(
        location(code=code, name=name, kind=kind) for code, name, kind in VIRTUAL if code not in known
    )
    if not warehouse.objects.using(using).exists():
        main = warehouse.objects.using(using).create(code=MAIN_WAREHOUSE[0], name=MAIN_WAREHOUSE[1])
        location.objects.using(using).create(warehouse=main, code=STOCK_CODE, name="Stock", kind="internal")


def ensure_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    ensure_reference(apps=apps, using=using)
