"""The sales API under /api/v1/sales/: pipeline stages, leads and opportunities."""

from rest_framework.routers import DefaultRouter

from frontoffice.sales.api import LeadViewSet, OpportunityViewSet, PipelineStageViewSet

router = DefaultRouter()
router.register("stages", PipelineStageViewSet, basename="sales-stage")
router.register("leads", LeadViewSet, basename="sales-lead")
router.register("opportunities", OpportunityViewSet, basename="sales-opportunity")

urlpatterns = router.urls
