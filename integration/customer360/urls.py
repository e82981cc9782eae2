from django.urls import path

from integration.customer360 import views

app_name = "customer360"

urlpatterns = [
    path("<int:pk>/", views.customer_view, name="customer"),
]
