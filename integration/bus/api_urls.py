from rest_framework.routers import DefaultRouter

from integration.bus.api import DeliveryViewSet, EventViewSet

router = DefaultRouter()
router.register("events", EventViewSet, basename="bus-event")
router.register("deliveries", DeliveryViewSet, basename="bus-delivery")

urlpatterns = router.urls
