"""The sales API under /api/v1/sales/: pipeline stages, leads, opportunities, quotes and sales orders."""

from rest_framework.routers import DefaultRouter

from frontoffice.sales.api import (
    LeadViewSet,
    OpportunityViewSet,
    PipelineStageViewSet,
    QuoteViewSet,
    SalesOrderViewSet,
)

router = DefaultRouter()
router.register("stages", PipelineStageViewSet, basename="sales-stage")
router.register("leads", LeadViewSet, basename="sales-lead")
router.register("opportunities", OpportunityViewSet, basename="sales-opportunity")
router.register("quotes", QuoteViewSet, basename="sales-quote")
router.register("orders", SalesOrderViewSet, basename="sales-order")

urlpatterns = router.urls
