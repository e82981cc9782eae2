"""Stock that never goes wrong: every quantity change is a move between two locations, and the on-hand and
reserved quantities per product, location and lot live in one table (`StockQuant`) that the moves update in the
same transaction. The database refuses negative stock and reservations beyond what is on hand, so no race can
oversell; `manage.py verify_stock` recomputes the table from the moves and reports drift.

Products come from `core.catalog`; what logistics needs to know about one (tracked by lot or serial number,
its average cost) is in `StockProduct`. Customers and suppliers are `core` organizations.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Q, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.catalog.models import Product
from core.parties.models import Organization

ZERO = Decimal("0")
DELIVERY_NUMBER_SEQUENCE = "logistics_delivery_number_seq"
QUANTITY = {"max_digits": 14, "decimal_places": 3}


class Warehouse(models.Model):
    """A site that holds stock. Each has a main stock location; bins are locations inside it."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9-]{1,10}$"), name="logistics_warehouse_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Location(models.Model):
    """Where stock is. Internal locations (a warehouse's stock and its bins) hold quantities; the others are the
    world outside, so that every move has two ends: suppliers, customers, inventory loss (counts and
    adjustments), production and scrap."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Warehouse stock")
        SUPPLIER = "supplier", _("Suppliers")
        CUSTOMER = "customer", _("Customers")
        ADJUSTMENT = "adjustment", _("Inventory loss and gain")
        PRODUCTION = "production", _("Production")
        SCRAP = "scrap", _("Scrap")

    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="locations",
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INTERNAL)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["warehouse__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="logistics_location_code_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(warehouse__isnull=True), name="logistics_virtual_location_code_unique"
            ),
            # Only internal locations belong to a warehouse; the outside world belongs to none.
            models.CheckConstraint(
                condition=(Q(kind="internal") & Q(warehouse__isnull=False))
                | (~Q(kind="internal") & Q(warehouse__isnull=True)),
                name="logistics_location_internal_has_warehouse",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}" if self.warehouse_id else self.name

    @property
    def is_internal(self) -> bool:
        return self.kind == self.Kind.INTERNAL


class StockProduct(models.Model):
    """Logistics' side of a catalog product: how it is tracked and what one unit is worth (average cost, SEK)."""

    class Tracking(models.TextChoices):
        NONE = "none", _("Quantity only")
        LOT = "lot", _("By lot")
        SERIAL = "serial", _("By serial number")

    product = models.OneToOneField(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, primary_key=True, related_name="stock"
    )
    tracking = models.CharField(_("tracking"), max_length=8, choices=Tracking.choices, default=Tracking.NONE)
    average_cost = models.DecimalField(_("average cost (SEK)"), max_digits=16, decimal_places=4, default=ZERO)

    class Meta:
        verbose_name = _("stock product")
        verbose_name_plural = _("stock products")
        constraints = [models.CheckConstraint(condition=Q(average_cost__gte=0), name="logistics_cost_not_negative")]

    def __str__(self) -> str:
        return str(self.product)


class Lot(models.Model):
    """A lot (batch) or a serial number of a tracked product: one serial number is one unit."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(_("lot or serial number"), max_length=60)
    expires_on = models.DateField(_("best before"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("lot or serial number")
        verbose_name_plural = _("lots and serial numbers")
        ordering = ["product", "code"]
        constraints = [models.UniqueConstraint(fields=["product", "code"], name="logistics_lot_code_unique")]

    def __str__(self) -> str:
        return self.code


class StockQuant(models.Model):
    """How much of a product (and lot) is in an internal location, and how much of that is reserved for
    deliveries. Changed only together with the move or reservation that explains it."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="quants")
    # The location's warehouse, copied when the row is made (locations never change warehouse): the stock overview
    # groups by product and warehouse straight from an index, without joining a location per row.
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), null=True, blank=True, on_delete=models.PROTECT, related_name="quants"
    )
    quantity = models.DecimalField(_("on hand"), **QUANTITY, default=ZERO)
    reserved = models.DecimalField(_("reserved"), **QUANTITY, default=ZERO)

    class Meta:
        verbose_name = _("stock quantity")
        verbose_name_plural = _("stock quantities")
        indexes = [
            models.Index(fields=["location", "product"], name="logistics_quant_location_idx"),
            models.Index(
                fields=["product", "warehouse"], include=["quantity", "reserved"], name="logistics_quant_overview_idx"
            ),
            models.Index(fields=["warehouse", "product"], name="logistics_quant_warehouse_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "location", "lot"], nulls_distinct=False, name="logistics_quant_unique"
            ),
            # Never negative, never more reserved than there is: oversell is impossible, not just unlikely.
            models.CheckConstraint(
                condition=Q(quantity__gte=0, reserved__gte=0, reserved__lte=F("quantity")),
                name="logistics_quant_never_oversold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.quantity} ({self.reserved} reserved)"

    @property
    def available(self) -> Decimal:
        return self.quantity - self.reserved


class StockMove(models.Model):
    """A quantity of a product that went from one location to another, at a unit cost. Done moves are the
    history stock is computed from; they never change (a mistake is corrected by a move back)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        DELIVERY = "delivery", _("Delivery")
        TRANSFER = "transfer", _("Transfer")
        ADJUSTMENT = "adjustment", _("Adjustment")
        PRODUCTION = "production", _("Production")
        CONSUMPTION = "consumption", _("Consumption")
        SCRAP = "scrap", _("Scrap")
        RETURN = "return", _("Return")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), null=True, blank=True, on_delete=models.PROTECT, related_name="moves"
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    from_location = models.ForeignKey(
        Location, verbose_name=_("from"), on_delete=models.PROTECT, related_name="moves_out"
    )
    to_location = models.ForeignKey(Location, verbose_name=_("to"), on_delete=models.PROTECT, related_name="moves_in")
    unit_cost = models.DecimalField(_("unit cost (SEK)"), max_digits=16, decimal_places=4, default=ZERO)
    value = models.DecimalField(_("value (SEK)"), max_digits=16, decimal_places=2, default=ZERO)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    partner = models.ForeignKey(
        Organization, verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivery_line = models.ForeignKey(
        "DeliveryLine", null=True, blank=True, on_delete=models.PROTECT, related_name="moves"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["product", "-occurred_at"], name="logistics_move_product_idx"),
            models.Index(fields=["from_location", "product"], name="logistics_move_from_idx"),
            models.Index(fields=["to_location", "product"], name="logistics_move_to_idx"),
            models.Index(fields=["lot"], name="logistics_move_lot_idx", condition=Q(lot__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_move_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")), name="logistics_move_between_two_locations"
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0, value__gte=0), name="logistics_move_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} × {self.product_id}"


# --- deliveries ---------------------------------------------------------------------------------------------


class DeliveryOrder(models.Model):
    """What a confirmed sales order asks the warehouse to send. Its lines are reserved when stock allows; what
    cannot be reserved waits as a backorder and is reserved when goods arrive. It is picked, packed, dispatched
    with a carrier and confirmed delivered."""

    class State(models.TextChoices):
        WAITING = "waiting", pgettext_lazy("delivery state", "Waiting for stock")
        READY = "ready", pgettext_lazy("delivery state", "Ready to pick")
        PICKED = "picked", pgettext_lazy("delivery state", "Picked")
        PACKED = "packed", pgettext_lazy("delivery state", "Packed")
        DISPATCHED = "dispatched", pgettext_lazy("delivery state", "Dispatched")
        DELIVERED = "delivered", pgettext_lazy("delivery state", "Delivered")
        CANCELLED = "cancelled", pgettext_lazy("delivery state", "Cancelled")

    number = models.BigIntegerField(
        _("number"),
        unique=True,
        editable=False,
        db_default=Func(Value(DELIVERY_NUMBER_SEQUENCE), function="nextval", output_field=models.BigIntegerField()),
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="deliveries"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    delivery_address = models.JSONField(_("delivery address"), null=True, blank=True)
    order_id = models.PositiveBigIntegerField(_("order id"), null=True, blank=True)
    order_number = models.CharField(_("order"), max_length=40, blank=True)
    source_event = models.UUIDField(_("created by event"), null=True, blank=True, unique=True, editable=False)
    backorder_of = models.ForeignKey(
        "self",
        verbose_name=_("backorder of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="backorders",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        permissions = [("ship_deliveryorder", _("Can pick, pack, dispatch and confirm deliveries"))]
        indexes = [
            models.Index(fields=["state", "warehouse", "created_at"], name="logistics_dlv_board_idx"),
            models.Index(fields=["order_id"], name="logistics_dlv_order_idx"),
            models.Index(fields=["organization", "-created_at"], name="logistics_dlv_customer_idx"),
            models.Index(F("created_at").desc(), F("id").desc(), name="logistics_dlv_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["dispatched", "delivered"]) | Q(dispatched_at__isnull=False),
                name="logistics_delivery_dispatched_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_at__isnull=False),
                name="logistics_delivery_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"OUT-{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("logistics:delivery-detail", args=[self.pk])


class DeliveryLine(models.Model):
    """A product and quantity to send; `reserved` of it is held in the warehouse, `shipped` has left."""

    delivery = models.ForeignKey(DeliveryOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=300, blank=True)
    order_line_id = models.PositiveBigIntegerField(_("order line id"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    reserved = models.DecimalField(_("reserved"), **QUANTITY, default=ZERO)
    shipped = models.DecimalField(_("shipped"), **QUANTITY, default=ZERO)

    class Meta:
        verbose_name = _("delivery line")
        verbose_name_plural = _("delivery lines")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["product"], name="logistics_dline_product_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_dline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0, shipped__gte=0) & Q(reserved__lte=F("quantity") - F("shipped")),
                name="logistics_dline_reserved_within_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.quantity} × {self.product_id}"

    @property
    def missing(self) -> Decimal:
        """What is still neither reserved nor shipped: the backorder."""
        return self.quantity - self.shipped - self.reserved


class Reservation(models.Model):
    """Stock held for a delivery line in one location (and lot). Its quantity is part of that quant's
    `reserved`; verify_stock checks the two agree."""

    line = models.ForeignKey(DeliveryLine, on_delete=models.CASCADE, related_name="reservations")
    quant = models.ForeignKey(StockQuant, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.UniqueConstraint(fields=["line", "quant"], name="logistics_reservation_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_reservation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"


class Package(models.Model):
    """A parcel of a delivery, with its weight; the carrier's tracking number is on the delivery."""

    delivery = models.ForeignKey(DeliveryOrder, on_delete=models.CASCADE, related_name="packages")
    number = models.PositiveSmallIntegerField(_("parcel"))
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="logistics_package_number_unique"),
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) | Q(weight_kg__isnull=True), name="logistics_package_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}"


class StockCount(models.Model):
    """A cycle count of a location: what was found per product (and lot); confirming it books the differences as
    adjustments with the count's reason."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("count state", "Counting")
        DONE = "done", pgettext_lazy("count state", "Booked")

    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="counts")
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_at = models.DateTimeField(_("booked"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.location} {self.created_at:%Y-%m-%d}"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected = models.DecimalField(_("expected"), **QUANTITY, default=ZERO)
    counted = models.DecimalField(_("counted"), **QUANTITY)

    class Meta:
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        constraints = [
            models.UniqueConstraint(
                fields=["count", "product", "lot"], nulls_distinct=False, name="logistics_countline_unique"
            ),
            models.CheckConstraint(condition=Q(counted__gte=0), name="logistics_countline_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.counted}"


# --- purchasing -------------------------------------------------------------------------------------------------

PURCHASE_NUMBER_SEQUENCE = "logistics_purchase_number_seq"


class PurchaseOrder(models.Model):
    """A request for quotation that becomes a purchase order once the supplier's price is accepted; goods are
    received against it, in parts, and each receipt tells finance (three-way match with the supplier's bill)."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("purchase state", "Request for quotation")
        SENT = "sent", pgettext_lazy("purchase state", "Quotation requested")
        CONFIRMED = "confirmed", pgettext_lazy("purchase state", "Ordered")
        PARTLY_RECEIVED = "partly", pgettext_lazy("purchase state", "Partly received")
        RECEIVED = "received", pgettext_lazy("purchase state", "Received")
        CANCELLED = "cancelled", pgettext_lazy("purchase state", "Cancelled")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("By hand")
        REORDER = "reorder", _("Reorder rule")

    number = models.BigIntegerField(
        _("number"),
        unique=True,
        editable=False,
        db_default=Func(Value(PURCHASE_NUMBER_SEQUENCE), function="nextval", output_field=models.BigIntegerField()),
    )
    supplier = models.ForeignKey(Organization, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("deliver to"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices, default=Origin.MANUAL)
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    expected_on = models.DateField(_("expected"), null=True, blank=True)
    supplier_reference = models.CharField(_("supplier's reference"), max_length=60, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("ordered"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "supplier"], name="logistics_po_state_idx"),
            models.Index(fields=["supplier", "-created_at"], name="logistics_po_supplier_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["confirmed", "partly", "received"]) | Q(confirmed_at__isnull=False),
                name="logistics_po_confirmed_has_time",
            ),
            # Stock is valued in SEK: a purchase in another currency waits for a rate table logistics can use.
            models.CheckConstraint(condition=Q(currency="SEK"), name="logistics_po_sek"),
        ]

    def __str__(self) -> str:
        return f"PO-{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("logistics:purchase-detail", args=[self.pk])


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(_("VAT (%)"), max_digits=5, decimal_places=2, default=Decimal(25))
    received = models.DecimalField(_("received"), **QUANTITY, default=ZERO)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["product"], name="logistics_poline_product_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_poline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0, received__gte=0), name="logistics_poline_amounts"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="logistics_poline_tax"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.product_id}"

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received, ZERO)


class GoodsReceipt(models.Model):
    """Goods that arrived against a purchase order, with the supplier's delivery note or invoice number."""

    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.PROTECT, related_name="receipts"
    )
    location = models.ForeignKey(Location, verbose_name=_("received into"), on_delete=models.PROTECT, related_name="+")
    supplier_reference = models.CharField(_("supplier's invoice or delivery note"), max_length=60, blank=True)
    received_on = models.DateField(_("received"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.order} / {self.pk}"


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.DecimalField(_("received"), **QUANTITY)
    billed_quantity = models.DecimalField(_("billed"), **QUANTITY)
    billed_unit_price = models.DecimalField(_("billed price"), max_digits=14, decimal_places=2)
    move = models.OneToOneField(StockMove, on_delete=models.PROTECT, related_name="receipt_line")

    class Meta:
        verbose_name = _("goods receipt line")
        verbose_name_plural = _("goods receipt lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0, billed_quantity__gte=0, billed_unit_price__gte=0),
                name="logistics_receiptline_amounts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.quantity}"


class ReorderRule(models.Model):
    """Keep a product between a minimum and a maximum in a warehouse: below the minimum (counting what is
    already ordered), a draft purchase order for the preferred supplier brings it back to the maximum."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="reorder_rules"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="reorder_rules"
    )
    minimum = models.DecimalField(_("minimum"), **QUANTITY)
    maximum = models.DecimalField(_("maximum"), **QUANTITY)
    supplier = models.ForeignKey(
        Organization, verbose_name=_("preferred supplier"), on_delete=models.PROTECT, related_name="+"
    )
    unit_price = models.DecimalField(_("purchase price"), max_digits=14, decimal_places=2, default=ZERO)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=7)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reorder rule")
        verbose_name_plural = _("reorder rules")
        ordering = ["warehouse", "product"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="logistics_reorder_unique"),
            models.CheckConstraint(
                condition=Q(minimum__gte=0, maximum__gt=F("minimum"), unit_price__gte=0),
                name="logistics_reorder_min_below_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.minimum}–{self.maximum}"


# --- production ---------------------------------------------------------------------------------------------------

PRODUCTION_NUMBER_SEQUENCE = "logistics_production_number_seq"


class BillOfMaterials(models.Model):
    """What it takes to make a product: components and quantities for `quantity` units of it. A component may
    have its own bill (a sub-assembly); it is then made first, by its own production order."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="boms")
    quantity = models.DecimalField(_("makes"), **QUANTITY, default=Decimal(1))
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bill of materials")
        verbose_name_plural = _("bills of materials")
        ordering = ["product", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_bom_quantity_positive"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(is_active=True), name="logistics_bom_one_active_per_product"
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.product)


class BomLine(models.Model):
    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="lines")
    component = models.ForeignKey(Product, verbose_name=_("component"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["bom", "component"], name="logistics_bomline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_bomline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.component_id}"


class ProductionOrder(models.Model):
    """Make a quantity of a product from its bill of materials in a warehouse: the components are reserved,
    then consumed, and the finished goods enter stock at the cost of what went into them."""

    class State(models.TextChoices):
        WAITING = "waiting", pgettext_lazy("production state", "Waiting for components")
        READY = "ready", pgettext_lazy("production state", "Ready to make")
        DONE = "done", pgettext_lazy("production state", "Done")
        CANCELLED = "cancelled", pgettext_lazy("production state", "Cancelled")

    number = models.BigIntegerField(
        _("number"),
        unique=True,
        editable=False,
        db_default=Func(Value(PRODUCTION_NUMBER_SEQUENCE), function="nextval", output_field=models.BigIntegerField()),
    )
    bom = models.ForeignKey(
        BillOfMaterials, verbose_name=_("bill of materials"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    unit_cost = models.DecimalField(_("unit cost (SEK)"), max_digits=16, decimal_places=4, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("production order")
        verbose_name_plural = _("production orders")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "-created_at"], name="logistics_mo_state_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, unit_cost__gte=0), name="logistics_mo_amounts"),
            models.CheckConstraint(
                condition=~Q(state="done") | Q(done_at__isnull=False), name="logistics_mo_done_time"
            ),
        ]

    def __str__(self) -> str:
        return f"MO-{self.number}"


class ProductionComponent(models.Model):
    """A component a production order needs, how much of it is reserved and how much was consumed."""

    order = models.ForeignKey(ProductionOrder, on_delete=models.CASCADE, related_name="components")
    product = models.ForeignKey(Product, verbose_name=_("component"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("needed"), **QUANTITY)
    reserved = models.DecimalField(_("reserved"), **QUANTITY, default=ZERO)
    consumed = models.DecimalField(_("consumed"), **QUANTITY, default=ZERO)

    class Meta:
        verbose_name = _("production component")
        verbose_name_plural = _("production components")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="logistics_mocomponent_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0, reserved__gte=0, consumed__gte=0, reserved__lte=F("quantity")),
                name="logistics_mocomponent_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.product_id}"


class ComponentReservation(models.Model):
    """Stock held for a production order's component in one location (and lot), part of that quant's reserved."""

    component = models.ForeignKey(ProductionComponent, on_delete=models.CASCADE, related_name="reservations")
    quant = models.ForeignKey(StockQuant, on_delete=models.PROTECT, related_name="component_reservations")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)

    class Meta:
        verbose_name = _("component reservation")
        verbose_name_plural = _("component reservations")
        constraints = [
            models.UniqueConstraint(fields=["component", "quant"], name="logistics_compres_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_compres_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.quantity}"


# --- returns ------------------------------------------------------------------------------------------------------


class ReturnOrder(models.Model):
    """Goods a customer sends back (RMA), possibly opened from a support ticket: received, then restocked or
    scrapped line by line, and finance is told so that it can credit them."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("return state", "Expected")
        RECEIVED = "received", pgettext_lazy("return state", "Received")
        CANCELLED = "cancelled", pgettext_lazy("return state", "Cancelled")

    organization = models.ForeignKey(
        Organization, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    delivery = models.ForeignKey(
        DeliveryOrder,
        verbose_name=_("delivery"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    order_id = models.PositiveBigIntegerField(_("order id"), null=True, blank=True)
    order_number = models.CharField(_("order"), max_length=40, blank=True)
    ticket_id = models.PositiveBigIntegerField(_("ticket id"), null=True, blank=True)
    ticket_reference = models.CharField(_("ticket"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["ticket_id"], name="logistics_rma_ticket_idx", condition=Q(ticket_id__isnull=False))
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="received") | Q(received_at__isnull=False), name="logistics_rma_received_time"
            )
        ]

    def __str__(self) -> str:
        return f"RMA-{self.pk}"


class ReturnLine(models.Model):
    class Disposition(models.TextChoices):
        RESTOCK = "restock", _("Back into stock")
        SCRAP = "scrap", _("Scrap")

    order = models.ForeignKey(ReturnOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot or serial number"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order_line_id = models.PositiveBigIntegerField(_("order line id"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    disposition = models.CharField(_("then"), max_length=8, choices=Disposition.choices, default=Disposition.RESTOCK)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_rmaline_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.product_id}"
