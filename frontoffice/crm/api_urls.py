"""The CRM's API under /api/v1/crm/: accounts, contacts and activities."""

from rest_framework.routers import DefaultRouter

from frontoffice.crm.api import AccountViewSet, ActivityViewSet, ContactViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="crm-account")
router.register("contacts", ContactViewSet, basename="crm-contact")
router.register("activities", ActivityViewSet, basename="crm-activity")

urlpatterns = router.urls
