"""The customer portal under /portal/ (service pages join it with their issue)."""

from django.urls import path

from core import portal_views

urlpatterns = [
    path("", portal_views.portal_home, name="portal-home"),
    path("profile/", portal_views.portal_profile, name="portal-profile"),
    path("invitation/<str:uidb64>/<str:token>/", portal_views.invitation_accept, name="portal-invitation"),
]
