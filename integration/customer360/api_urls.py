from django.urls import path

from integration.customer360.api import TimelineView

urlpatterns = [
    path("<int:pk>/timeline/", TimelineView.as_view(), name="customer-timeline"),
]
