"""The kinds of notification a user can set preferences for. Apps add theirs here."""

from django.utils.translation import gettext_lazy as _

KINDS: dict[str, object] = {
    "portal.invitation_accepted": _("A customer accepted a portal invitation"),
}
