"""Staff pages under /app/: the shell's own pages and the kernel's sections."""

from django.urls import include, path

from core import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-mark-read"),
    path("notifications/settings/", views.notification_settings, name="notification-settings"),
    path("", include("core.parties.urls")),
    path("catalog/", include("core.catalog.urls")),
]
