from django.urls import path

from frontoffice.sales import views

app_name = "sales"

urlpatterns = [
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/new/", views.lead_create, name="lead-create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("forecast/", views.forecast, name="forecast"),
    path("opportunities/", views.opportunity_list, name="opportunity-list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity-create"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("opportunities/<int:pk>/move/", views.opportunity_action, {"action": "move"}, name="opportunity-move"),
    path("opportunities/<int:pk>/won/", views.opportunity_action, {"action": "won"}, name="opportunity-won"),
    path("opportunities/<int:pk>/lost/", views.opportunity_action, {"action": "lost"}, name="opportunity-lost"),
    path("accounts/lookup/", views.account_lookup, name="account-lookup"),
    path("products/lookup/", views.product_lookup, name="product-lookup"),
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/new/", views.quote_create, name="quote-create"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote-detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote-edit"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote-pdf"),
    path("quotes/<int:pk>/send/", views.quote_action, {"action": "send"}, name="quote-send"),
    path("quotes/<int:pk>/revise/", views.quote_action, {"action": "revise"}, name="quote-revise"),
    path("quotes/<int:pk>/cancel/", views.quote_action, {"action": "cancel"}, name="quote-cancel"),
    path("quotes/<int:pk>/order/", views.quote_action, {"action": "order"}, name="quote-order"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/new/", views.order_create, name="order-create"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("orders/<int:pk>/confirm/", views.order_action, {"action": "confirm"}, name="order-confirm"),
    path("orders/<int:pk>/cancel/", views.order_action, {"action": "cancel"}, name="order-cancel"),
]
