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
]
