"""The REST API: /api/v1/... with its OpenAPI schema and documentation served locally."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api.auth import ObtainTokenView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("v1/core/", include("core.api.urls")),
    path("v1/integration/", include("integration.bus.api_urls")),
    path("v1/crm/", include("frontoffice.crm.api_urls")),
    path("v1/sales/", include("frontoffice.sales.api_urls")),
    path("v1/service/", include("frontoffice.service.api_urls")),
    path("v1/service/", include("frontoffice.helpcenter.api_urls")),
    path("v1/finance/", include("backoffice.finance.api_urls")),
    path("v1/logistics/", include("backoffice.logistics.api_urls")),
    path("v1/customers/", include("integration.customer360.api_urls")),
]
