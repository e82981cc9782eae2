from django.urls import path

from frontoffice.service import inbound_views, views

app_name = "service"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/bulk/", views.ticket_bulk, name="ticket-bulk"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:number>/status/", views.ticket_status, name="ticket-status"),
    path("tickets/<int:number>/edit/", views.ticket_edit, name="ticket-edit"),
    path("tickets/<int:number>/merge/", views.ticket_merge, name="ticket-merge"),
    path("tickets/<int:number>/time/", views.ticket_time, name="ticket-time"),
    path("tickets/<int:number>/canned/<int:pk>/", views.canned_fill, name="canned-fill"),
    path("tickets/<int:number>/article/<int:message_pk>/", views.reply_to_article, name="reply-to-article"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
    path("people/lookup/", views.person_lookup, name="person-lookup"),
    path("reports/sla/", views.sla_report, name="sla-report"),
    path("inbound/", inbound_views.inbound_list, name="inbound-list"),
    path("inbound/<int:pk>/retry/", inbound_views.inbound_retry, name="inbound-retry"),
]
