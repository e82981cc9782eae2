"""Admin of logistics. Warehouses, locations, product tracking and lots are set up here; stock itself (moves,
quantities, reservations) and deliveries change only through the services, so they are read-only here and a
delivery is reserved again or cancelled with the actions below."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from backoffice.logistics import services
from backoffice.logistics.models import (
    DeliveryLine,
    DeliveryOrder,
    Location,
    Lot,
    Package,
    Reservation,
    StockCount,
    StockCountLine,
    StockMove,
    StockProduct,
    StockQuant,
    Warehouse,
)
from core.audit.admin import AuditHistoryMixin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Stock is changed by moves, never by hand: a wrong quantity is corrected by an adjustment."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    max_num = 0

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ["code", "name", "kind", "is_active"]
    readonly_fields = ["kind"]
    can_delete = False


@admin.register(Warehouse)
class WarehouseAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["code", "name", "address", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    inlines = [LocationInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Location)
class LocationAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "code", "name", "kind", "warehouse", "is_active"]
    list_filter = ["kind", "warehouse", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["warehouse"]

    def get_readonly_fields(self, request, obj=None):
        # The outside world's locations are made by the reference data; a warehouse's bins are internal.
        return ["kind", "warehouse"] if obj is not None else ["kind"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockProduct)
class StockProductAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["product", "tracking", "average_cost"]
    list_filter = ["tracking"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product"]
    readonly_fields = ["average_cost"]
    raw_id_fields = ["product"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["code", "product", "expires_on", "created_at"]
    search_fields = ["code", "product__sku"]
    list_select_related = ["product"]
    raw_id_fields = ["product"]

    def get_readonly_fields(self, request, obj=None):
        return ["product", "code", "created_at"] if obj is not None else ["created_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockQuant)
class StockQuantAdmin(ReadOnlyAdmin):
    list_display = ["product", "location", "lot", "quantity", "reserved"]
    list_filter = ["location__warehouse"]
    search_fields = ["product__sku", "lot__code"]
    list_select_related = ["product", "location__warehouse", "lot"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "product", "quantity", "from_location", "to_location", "lot", "value"]
    list_filter = ["kind"]
    search_fields = ["product__sku", "reference", "lot__code"]
    list_select_related = ["product", "lot", "from_location__warehouse", "to_location__warehouse"]
    date_hierarchy = "occurred_at"


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["line", "quant", "quantity"]
    list_select_related = ["line", "quant"]


class DeliveryLineInline(ReadOnlyInline):
    model = DeliveryLine
    fields = ["position", "product", "description", "quantity", "reserved", "shipped"]


class PackageInline(ReadOnlyInline):
    model = Package
    fields = ["number", "weight_kg"]


@admin.register(DeliveryOrder)
class DeliveryOrderAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read deliveries here; they come from orders and move on with the services (the actions below)."""

    list_display = ["__str__", "state", "order_number", "customer_name", "warehouse", "created_at", "tracking_number"]
    list_filter = ["state", "warehouse"]
    search_fields = ["=number", "order_number", "customer_name", "tracking_number"]
    list_select_related = ["warehouse"]
    date_hierarchy = "created_at"
    inlines = [DeliveryLineInline, PackageInline]
    actions = ["reserve_again", "cancel_deliveries"]

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in DeliveryOrder._meta.fields), "audit_history"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_ship_permission(self, request) -> bool:
        return request.user.has_perm("logistics.ship_deliveryorder")

    def _each(self, request, queryset, act, done: str) -> None:
        count = 0
        for delivery in queryset.order_by("pk"):
            try:
                act(delivery)
                count += 1
            except ValidationError as error:
                self.message_user(request, f"{delivery}: {' '.join(error.messages)}", messages.ERROR)
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Reserve again"), permissions=["ship"])
    def reserve_again(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda delivery: services.delivery_reserve_again(actor=request.user, delivery=delivery),
            _("Deliveries reserved again: %(count)s."),
        )

    @admin.action(description=_("Cancel"), permissions=["ship"])
    def cancel_deliveries(self, request, queryset) -> None:
        self._each(
            request,
            queryset.exclude(state=DeliveryOrder.State.CANCELLED),
            lambda delivery: services.delivery_cancel(
                actor=request.user, delivery=delivery, reason=str(_("Cancelled in the admin"))
            ),
            _("Deliveries cancelled: %(count)s."),
        )


@admin.register(DeliveryLine)
class DeliveryLineAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "position", "product", "quantity", "reserved", "shipped"]
    search_fields = ["product__sku", "delivery__order_number"]
    list_select_related = ["delivery", "product"]


@admin.register(Package)
class PackageAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "number", "weight_kg"]
    list_select_related = ["delivery"]


class StockCountLineInline(ReadOnlyInline):
    model = StockCountLine
    fields = ["product", "lot", "expected", "counted"]


@admin.register(StockCount)
class StockCountAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    list_display = ["__str__", "location", "reason", "state", "created_at", "done_at"]
    list_filter = ["state"]
    list_select_related = ["location__warehouse"]
    inlines = [StockCountLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "audit_history"]


@admin.register(StockCountLine)
class StockCountLineAdmin(ReadOnlyAdmin):
    list_display = ["count", "product", "lot", "expected", "counted"]
    list_select_related = ["count__location__warehouse", "product", "lot"]


from backoffice.logistics import purchase_admin  # noqa: E402, F401 - purchasing, production and returns
