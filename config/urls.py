"""Top-level URLs: staff app, customer portal, admin, sign-in, API, health."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from core import views as core_views

admin.site.site_header = "Kontor"
admin.site.site_title = "Kontor admin"
# The admin's own login form has no rate limit: send it through allauth's, which has.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("app/integration/", include("integration.bus.urls")),
    path("app/crm/", include("frontoffice.crm.urls")),
    path("app/sales/", include("frontoffice.sales.urls")),
    path("app/service/", include("frontoffice.service.urls")),
    path("app/help/", include("frontoffice.helpcenter.urls")),
    path("app/customers/", include("integration.customer360.urls")),
    path("app/finance/", include("backoffice.finance.urls")),
    path("app/logistics/", include("backoffice.logistics.urls")),
    path("app/", include("core.urls")),
    path("portal/", include("frontoffice.sales.portal_urls")),
    path("portal/", include("frontoffice.service.portal_urls")),
    path("portal/", include("backoffice.finance.portal_urls")),
    path("portal/help/", include("frontoffice.helpcenter.portal_urls")),
    path("portal/", include("core.portal_urls")),
    path("api/", include("config.api_urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
