"""The service pages of the customer portal, under /portal/ (no namespace, like the portal's own URLs)."""

from django.urls import path

from frontoffice.service import portal_views

urlpatterns = [
    path("tickets/", portal_views.ticket_list, name="portal-tickets"),
    path("tickets/new/", portal_views.ticket_create, name="portal-ticket-create"),
    path("tickets/<int:number>/", portal_views.ticket_detail, name="portal-ticket"),
    path("tickets/<int:number>/reply/", portal_views.ticket_reply, name="portal-ticket-reply"),
    path("tickets/<int:number>/close/", portal_views.ticket_move, {"action": "close"}, name="portal-ticket-close"),
    path("tickets/<int:number>/reopen/", portal_views.ticket_move, {"action": "reopen"}, name="portal-ticket-reopen"),
    path("tickets/<int:number>/rate/", portal_views.ticket_rate, name="portal-ticket-rate"),
    path("tickets/files/<int:pk>/", portal_views.attachment_download, name="portal-ticket-attachment"),
    path("t/<str:token>/", portal_views.guest_ticket, name="portal-ticket-guest"),
    path("t/<str:token>/files/<int:pk>/", portal_views.guest_attachment, name="portal-ticket-guest-attachment"),
]
