from django.http import HttpRequest

from core import navigation


def shell(request: HttpRequest) -> dict:
    """What the staff and portal layouts need on every page, lazily, so pages that do not use it pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def sidebar():
        return navigation.sidebar_html(user, request.path) if user.is_employee else ""

    def unread_notifications():
        from core.notifications.selectors import notification_unread_count

        return notification_unread_count(user=user)

    return {"sidebar": sidebar, "unread_notifications": unread_notifications}
