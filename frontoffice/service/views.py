"""Staff pages of customer service (being built)."""

from django.http import Http404


def _not_yet(request, *args, **kwargs):
    raise Http404


dashboard = ticket_list = ticket_create = ticket_bulk = ticket_detail = ticket_reply = ticket_status = _not_yet
ticket_edit = ticket_merge = ticket_time = canned_fill = reply_to_article = attachment_download = _not_yet
person_lookup = sla_report = _not_yet
