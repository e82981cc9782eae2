"""The help center's part of the service API, under /api/v1/service/: articles."""

from rest_framework.routers import DefaultRouter

from frontoffice.helpcenter.api import ArticleViewSet

router = DefaultRouter()
router.register("articles", ArticleViewSet, basename="service-article")

urlpatterns = router.urls
