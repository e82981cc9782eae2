from django.urls import path  # noqa: F401

from frontoffice.service import views  # noqa: F401

app_name = "service"

urlpatterns: list = []
