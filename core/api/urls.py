"""The kernel's API under /api/v1/core/: organizations, people and products."""

from rest_framework.routers import DefaultRouter

from core.catalog.api import ProductViewSet
from core.parties.api import OrganizationViewSet, PersonViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("people", PersonViewSet, basename="person")
router.register("products", ProductViewSet, basename="product")

urlpatterns = router.urls
