"""The service API under /api/v1/service/: tickets (the help center's articles are mounted at the same prefix)."""

from rest_framework.routers import DefaultRouter

from frontoffice.service.api import TicketViewSet

router = DefaultRouter()
router.register("tickets", TicketViewSet, basename="service-ticket")

urlpatterns = router.urls
