"""Pages of the staff shell: the start page, global search, notifications; and /health/."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.accounts.decorators import staff_required
from core.health import health_report
from core.notifications.kinds import KINDS
from core.notifications.selectors import notification_list, notification_preferences
from core.notifications.services import notification_mark_read, notification_preferences_save
from core.selectors import dashboard_figures, global_search


def home(request: HttpRequest) -> HttpResponse:
    """The site root sends everyone where they belong."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    return redirect("/app/" if request.user.is_employee else "/portal/")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Operators' probe: 200 when the database, Redis, workers and beat are up; 503 naming what is down."""
    report = health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "core/dashboard.html", dashboard_figures(user=request.user))


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    """Global search over organizations, people and products the user may see."""
    query = request.GET.get("q", "").strip()[:100]
    results = global_search(user=request.user, query=query) if len(query) >= 2 else None
    template = "core/search.html#results" if request.htmx else "core/search.html"
    return render(request, template, {"query": query, "results": results})


@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    unread_only = request.GET.get("unread") == "1"
    page = Paginator(notification_list(user=request.user, unread_only=unread_only), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page, "unread_only": unread_only})


@staff_required
@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("id") if pk.isdigit()] or None
    count = notification_mark_read(user=request.user, notification_ids=ids)
    if request.htmx:
        return render(request, "core/_bell.html", {})
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
        % {"count": count},
    )
    return redirect(request.POST.get("next") or "notifications")


@staff_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        chosen = {kind: (f"{kind}:in_app" in request.POST, f"{kind}:by_email" in request.POST) for kind in KINDS}
        notification_preferences_save(user=request.user, preferences=chosen)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notification-settings")
    return render(request, "core/notification_settings.html", {"rows": notification_preferences(user=request.user)})
