"""The customer portal's sales pages: answering a quote from its link, and a customer's quotes and orders."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from core.accounts.decorators import customer_required
from core.forms import apply_service_error
from core.parties.selectors import person_for_portal_user
from core.templatetags.kontor import plain
from frontoffice.sales import selectors, services
from frontoffice.sales.models import Quote, SalesOrder, SalesOrderLine
from frontoffice.sales.pdf import quote_pdf

PER_PAGE = 20


class QuoteAnswerForm(forms.Form):
    """Accept or decline: a visitor who has not signed in gives their name, which is recorded with the answer."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    note = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, ask_name: bool, note_label: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not ask_name:
            del self.fields["name"]
        else:
            self.fields["name"].widget.attrs["autocomplete"] = "name"
        if note_label:
            self.fields["note"].label = note_label


def _organization_id(user) -> int | None:
    person = person_for_portal_user(user=user)
    return person.organization_id if person else None


def _quote_for_link(request: HttpRequest, token: str) -> Quote | HttpResponse:
    """The quote a link names, if this visitor may see it; otherwise the friendly page saying why (404)."""
    try:
        quote = services.quote_from_token(token)
    except ValidationError as error:
        return render(request, "sales/portal/quote_invalid.html", {"reason": " ".join(error.messages)}, status=404)
    if quote.status == Quote.Status.DRAFT:
        raise Http404
    user = request.user
    if user.is_authenticated and not user.is_employee and _organization_id(user) != quote.account.organization_id:
        # A customer signed in for another organization: do not even confirm that the quote exists.
        raise Http404
    if quote.status == Quote.Status.CANCELLED:
        return render(
            request,
            "sales/portal/quote_invalid.html",
            {"reason": _("This quote has been withdrawn. Ask your contact if you have questions.")},
            status=404,
        )
    return quote


def _priced_lines(document: Quote | SalesOrder) -> dict:
    """The document's (prefetched) lines with their figures written for people, and net and VAT per rate."""
    lines = list(document.lines.all())
    for line in lines:
        line.quantity_display = plain(line.quantity)
        line.tax_rate_display = plain(line.tax_rate)
        line.discount_display = plain(line.discount_percent) if line.discount_percent else ""
    breakdown = selectors.document_tax_breakdown(document)
    return {"lines": lines, "tax_rows": [(plain(rate), net, tax) for rate, (net, tax) in breakdown.items()]}


def _newer_version_url(quote: Quote) -> str:
    revision = selectors.sent_revision_of(quote=quote)
    return reverse("portal-quote", args=[services.quote_link_token(revision)]) if revision else ""


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def quote_page(request: HttpRequest, token: str) -> HttpResponse:
    """The page the quote e-mail links to: the whole quote, and while it is open, Accept and Decline."""
    found = _quote_for_link(request, token)
    if isinstance(found, HttpResponse):
        return found
    is_staff_viewer = request.user.is_authenticated and request.user.is_employee
    ask_name = not request.user.is_authenticated
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST":
        if is_staff_viewer:
            raise PermissionDenied(_("Staff may view a customer's quote here but not answer it."))
        if action not in {"accept", "decline"}:
            return HttpResponse(_("Choose to accept or decline the quote."), status=400)
    accept_form = QuoteAnswerForm(request.POST if action == "accept" else None, prefix="accept", ask_name=ask_name)
    decline_form = QuoteAnswerForm(
        request.POST if action == "decline" else None,
        prefix="decline",
        ask_name=ask_name,
        note_label=_("Reason (optional)"),
    )
    error = ""
    if action:
        form = accept_form if action == "accept" else decline_form
        if form.is_valid():
            answer = services.quote_accept if action == "accept" else services.quote_decline
            try:
                answer(
                    quote=found,
                    user=request.user if request.user.is_authenticated else None,
                    name=form.cleaned_data.get("name", ""),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as service_error:
                if hasattr(service_error, "error_dict"):
                    apply_service_error(form, service_error)
                else:
                    error = " ".join(service_error.messages)
            else:
                if action == "accept":
                    messages.success(request, _("Thank you! We have your acceptance and will confirm the order."))
                else:
                    messages.success(request, _("Thank you for letting us know."))
                return redirect("portal-quote", token=token)
    quote = selectors.quote_detail(pk=found.pk)
    state = selectors.quote_answer_state(quote)
    context = {
        "quote": quote,
        "company": settings.COMPANY_NAME,
        "token": token,
        **_priced_lines(quote),
        "state": state,
        "can_answer": state == "open" and not is_staff_viewer,
        "is_staff_viewer": is_staff_viewer,
        "accept_form": accept_form,
        "decline_form": decline_form,
        "error": error,
        "newer_version_url": _newer_version_url(quote) if state == Quote.Status.REVISED else "",
    }
    return render(request, "sales/portal/quote.html", context)


@never_cache
@require_safe
def quote_pdf_view(request: HttpRequest, token: str) -> HttpResponse:
    """The quote as the PDF the e-mail carried, in the visitor's language, shown in the browser."""
    found = _quote_for_link(request, token)
    if isinstance(found, HttpResponse):
        return found
    content = quote_pdf(found, language=translation.get_language() or "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.reference}.pdf"'
    return response


def _page(request: HttpRequest, queryset) -> tuple:
    paginator = Paginator(queryset, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return page, list(page.object_list)


def _template(request: HttpRequest, template: str) -> str:
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return f"{template}#results"
    return template


@customer_required
def quote_list(request: HttpRequest) -> HttpResponse:
    """The quotes sent to the customer's organization, newest first, each linking to its answer page."""
    organization_id = _organization_id(request.user)
    queryset = selectors.portal_quotes(organization_id=organization_id) if organization_id else Quote.objects.none()
    page, rows = _page(request, queryset)
    today = timezone.localdate()
    for quote in rows:
        quote.portal_url = reverse("portal-quote", args=[services.quote_link_token(quote)])
        quote.state = selectors.quote_answer_state(quote, today)
    return render(request, _template(request, "sales/portal/quote_list.html"), {"page": page, "rows": rows})


@customer_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The customer's confirmed and cancelled orders, with how far invoicing and delivery have come."""
    organization_id = _organization_id(request.user)
    queryset = (
        selectors.portal_orders(organization_id=organization_id) if organization_id else SalesOrder.objects.none()
    )
    page, rows = _page(request, queryset)
    return render(request, _template(request, "sales/portal/order_list.html"), {"page": page, "rows": rows})


@customer_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the customer's orders with its lines; another organization's order does not exist here."""
    organization_id = _organization_id(request.user)
    if not organization_id:
        raise Http404
    queryset = (
        selectors.portal_orders(organization_id=organization_id)
        .select_related("delivery_address", "owner", "quote")
        .prefetch_related(
            Prefetch("lines", SalesOrderLine.objects.select_related("product").order_by("position", "pk"))
        )
    )
    order = get_object_or_404(queryset, pk=pk)
    return render(request, "sales/portal/order.html", {"order": order, **_priced_lines(order)})
