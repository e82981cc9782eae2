"""The logistics API under /api/v1/logistics/: stock, moves, deliveries, warehouses, locations, serials."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from backoffice.logistics import purchase_api
from backoffice.logistics.api import (
    DeliveryViewSet,
    LocationViewSet,
    MoveViewSet,
    SerialHistoryView,
    StockViewSet,
    WarehouseViewSet,
)

router = DefaultRouter()
router.register("stock", StockViewSet, basename="logistics-stock")
router.register("moves", MoveViewSet, basename="logistics-move")
router.register("deliveries", DeliveryViewSet, basename="logistics-delivery")
router.register("warehouses", WarehouseViewSet, basename="logistics-warehouse")
router.register("locations", LocationViewSet, basename="logistics-location")
router.register("purchase-orders", purchase_api.PurchaseOrderViewSet, basename="logistics-purchase-order")
router.register("production-orders", purchase_api.ProductionOrderViewSet, basename="logistics-production-order")
router.register("returns", purchase_api.ReturnViewSet, basename="logistics-return")
router.register("boms", purchase_api.BomViewSet, basename="logistics-bom")

urlpatterns = [
    path("serials/", SerialHistoryView.as_view(), name="logistics-serials"),
    *router.urls,
]
