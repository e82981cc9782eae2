"""The customer portal's ticket pages (being built)."""

from django.http import Http404


def _not_yet(request, *args, **kwargs):
    raise Http404


ticket_list = ticket_create = ticket_detail = ticket_reply = ticket_close = ticket_reopen = ticket_rate = _not_yet
attachment_download = guest_ticket = guest_attachment = _not_yet
