"""The logistics API under /api/v1/logistics/: stock, moves, deliveries, warehouses, locations, serials."""

from django.urls import path
from rest_framework.routers import DefaultRouter

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

urlpatterns = [
    path("serials/", SerialHistoryView.as_view(), name="logistics-serials"),
    *router.urls,
]
