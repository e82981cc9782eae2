"""The sales pages of the customer portal, under /portal/ (no namespace, like the portal's own URLs)."""

from django.urls import path

from frontoffice.sales import portal_views

urlpatterns = [
    path("quotes/", portal_views.quote_list, name="portal-quotes"),
    path("quotes/<str:token>/", portal_views.quote_page, name="portal-quote"),
    path("quotes/<str:token>/pdf/", portal_views.quote_pdf_view, name="portal-quote-pdf"),
    path("orders/", portal_views.order_list, name="portal-orders"),
    path("orders/<int:pk>/", portal_views.order_detail, name="portal-order"),
]
