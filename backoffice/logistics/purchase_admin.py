"""Admin of purchasing, production and returns. Reorder rules are set up here; purchase orders, receipts, bills of
materials, production orders and returns change only through the services (the staff pages and the API), so
they are read-only here, with a few actions that call those services."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backoffice.logistics import production_services, purchase_services, return_services
from backoffice.logistics.models import (
    BillOfMaterials,
    BomLine,
    ComponentReservation,
    GoodsReceipt,
    GoodsReceiptLine,
    ProductionComponent,
    ProductionOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    ReturnLine,
    ReturnOrder,
)
from core.audit.admin import AuditHistoryMixin


class ServiceOnlyAdmin(admin.ModelAdmin):
    """Changed by the services only: every field is read-only, nothing is added or deleted by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ServiceOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    max_num = 0

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _each(
    request: HttpRequest, queryset: QuerySet, work: Callable, done_message: str, modeladmin: admin.ModelAdmin
) -> None:
    done = 0
    for record in queryset:
        try:
            work(record)
        except ValidationError as error:
            modeladmin.message_user(request, f"{record}: {' '.join(error.messages)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


# --- purchasing ---------------------------------------------------------------------------------------------------


class PurchaseOrderLineInline(ServiceOnlyInline):
    model = PurchaseOrderLine
    fields = ["position", "product", "description", "quantity", "unit_price", "tax_rate", "received"]


class GoodsReceiptInline(ServiceOnlyInline):
    model = GoodsReceipt
    fields = ["received_on", "location", "supplier_reference", "created_by"]
    show_change_link = True


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(AuditHistoryMixin, ServiceOnlyAdmin):
    list_display = ["__str__", "supplier", "warehouse", "state", "origin", "expected_on", "created_at"]
    list_filter = ["state", "origin", "warehouse"]
    search_fields = ["number", "supplier__name", "supplier_reference"]
    list_select_related = ["supplier", "warehouse"]
    inlines = [PurchaseOrderLineInline, GoodsReceiptInline]
    actions = ["cancel_orders"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "audit_history"]

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("logistics.change_purchaseorder")

    @admin.action(description=_("Cancel the selected purchase orders"), permissions=["act"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        _each(
            request,
            queryset,
            lambda order: purchase_services.purchase_cancel(actor=request.user, order=order, reason="admin"),
            _("Purchase orders cancelled: %(count)s."),
            self,
        )


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(ServiceOnlyAdmin):
    list_display = ["order", "position", "product", "quantity", "unit_price", "received"]
    list_select_related = ["order", "product"]


class GoodsReceiptLineInline(ServiceOnlyInline):
    model = GoodsReceiptLine
    fields = ["order_line", "quantity", "billed_quantity", "billed_unit_price", "move"]


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(ServiceOnlyAdmin):
    list_display = ["__str__", "order", "location", "supplier_reference", "received_on"]
    search_fields = ["order__number", "supplier_reference"]
    list_select_related = ["order", "location__warehouse"]
    inlines = [GoodsReceiptLineInline]


@admin.register(GoodsReceiptLine)
class GoodsReceiptLineAdmin(ServiceOnlyAdmin):
    list_display = ["receipt", "order_line", "quantity", "billed_quantity", "billed_unit_price"]
    list_select_related = ["receipt__order", "order_line"]


@admin.register(ReorderRule)
class ReorderRuleAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Reorder rules are plain settings: edited here or on the reorder page."""

    list_display = ["product", "warehouse", "minimum", "maximum", "supplier", "unit_price", "is_active"]
    list_filter = ["is_active", "warehouse"]
    search_fields = ["product__sku", "product__name", "supplier__name"]
    list_select_related = ["product", "warehouse", "supplier"]
    autocomplete_fields = ["product", "supplier"]


# --- production ---------------------------------------------------------------------------------------------------


class BomLineInline(ServiceOnlyInline):
    model = BomLine
    fields = ["component", "quantity"]


@admin.register(BillOfMaterials)
class BillOfMaterialsAdmin(ServiceOnlyAdmin):
    list_display = ["product", "name", "quantity", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["product__sku", "product__name", "name"]
    list_select_related = ["product"]
    inlines = [BomLineInline]


@admin.register(BomLine)
class BomLineAdmin(ServiceOnlyAdmin):
    list_display = ["bom", "component", "quantity"]
    list_select_related = ["bom__product", "component"]


class ProductionComponentInline(ServiceOnlyInline):
    model = ProductionComponent
    fields = ["product", "quantity", "reserved", "consumed"]


@admin.register(ProductionOrder)
class ProductionOrderAdmin(AuditHistoryMixin, ServiceOnlyAdmin):
    list_display = ["__str__", "product", "quantity", "location", "state", "unit_cost", "created_at"]
    list_filter = ["state"]
    search_fields = ["number", "product__sku", "product__name"]
    list_select_related = ["product", "location__warehouse"]
    inlines = [ProductionComponentInline]
    actions = ["cancel_orders"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "audit_history"]

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("logistics.change_productionorder")

    @admin.action(description=_("Cancel the selected production orders"), permissions=["act"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[ProductionOrder]) -> None:
        _each(
            request,
            queryset,
            lambda order: production_services.production_cancel(actor=request.user, order=order),
            _("Production orders cancelled: %(count)s."),
            self,
        )


@admin.register(ProductionComponent)
class ProductionComponentAdmin(ServiceOnlyAdmin):
    list_display = ["order", "product", "quantity", "reserved", "consumed"]
    list_select_related = ["order", "product"]


@admin.register(ComponentReservation)
class ComponentReservationAdmin(ServiceOnlyAdmin):
    list_display = ["component", "quant", "quantity"]
    list_select_related = ["component__order", "quant__location__warehouse"]


# --- returns ------------------------------------------------------------------------------------------------------


class ReturnLineInline(ServiceOnlyInline):
    model = ReturnLine
    fields = ["product", "lot", "quantity", "disposition"]


@admin.register(ReturnOrder)
class ReturnOrderAdmin(AuditHistoryMixin, ServiceOnlyAdmin):
    list_display = ["__str__", "organization", "order_number", "ticket_reference", "state", "created_at"]
    list_filter = ["state", "warehouse"]
    search_fields = ["organization__name", "order_number", "ticket_reference", "reason"]
    list_select_related = ["organization", "warehouse"]
    inlines = [ReturnLineInline]
    actions = ["receive_returns"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "audit_history"]

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("logistics.change_returnorder")

    @admin.action(description=_("Receive the selected returns"), permissions=["act"])
    def receive_returns(self, request: HttpRequest, queryset: QuerySet[ReturnOrder]) -> None:
        _each(
            request,
            queryset,
            lambda rma: return_services.return_receive(actor=request.user, rma=rma),
            _("Returns received: %(count)s."),
            self,
        )


@admin.register(ReturnLine)
class ReturnLineAdmin(ServiceOnlyAdmin):
    list_display = ["order", "product", "quantity", "disposition"]
    list_select_related = ["order", "product"]
