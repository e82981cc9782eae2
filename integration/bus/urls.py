from django.urls import path

from integration.bus import views

app_name = "bus"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("probe/", views.probe_send, name="probe"),
    path("dead-letters/", views.dead_letter_list, name="dead-letters"),
    path("events/catalogue/", views.catalogue_page, name="catalogue"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("deliveries/<int:pk>/retry/", views.delivery_resolve, {"action": "retry"}, name="delivery-retry"),
    path("deliveries/<int:pk>/discard/", views.delivery_resolve, {"action": "discard"}, name="delivery-discard"),
]
