"""Staff pages of customer service: the dashboard, ticket lists, the ticket page and its actions, the SLA report."""

import csv
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from core.accounts.models import User
from core.forms import apply_service_error
from core.lists import COUNT_LIMIT, PER_PAGE, ListPaginator, cleaned_filters, list_page
from core.parties import selectors as parties_selectors
from frontoffice.sales import selectors as sales_selectors
from frontoffice.service import attachments, selectors, services
from frontoffice.service.forms import (
    BulkForm,
    MergeForm,
    ReplyForm,
    ReportForm,
    StatusForm,
    TicketCreateForm,
    TicketEditForm,
    TicketFilterForm,
    TimeForm,
)
from frontoffice.service.models import Attachment, Message, Ticket


def _ticket_or_404(request: HttpRequest, number: int) -> Ticket:
    try:
        return selectors.ticket_detail(user=request.user, number=number)
    except Ticket.DoesNotExist:
        raise Http404 from None


@staff_permission_required("service.view_ticket")
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "service/dashboard.html", selectors.dashboard(user=request.user))


class _TicketListRows:
    """The agent's unfiltered ticket list as ListPaginator reads it: a slice is one plain statement that also
    counts the list up to COUNT_LIMIT + 1 (selectors.ticket_list_page)."""

    def __init__(self, *, user, queue_ids: list[int] | None, ordering: str) -> None:
        self.user, self.queue_ids, self.ordering = user, queue_ids, ordering
        self.counted: int | None = None

    def __getitem__(self, part: slice) -> list[selectors.TicketListRow]:
        start = part.start or 0
        found = selectors.ticket_list_page(
            user=self.user,
            queue_ids=self.queue_ids,
            ordering=self.ordering,
            offset=start,
            limit=part.stop - start,
            count_up_to=COUNT_LIMIT + 1,
        )
        self.counted = found.counted
        return found.rows

    def count(self) -> int:
        """The exact count (ListPaginator asks it past the end of a list whose count was estimated)."""
        return selectors.count_tickets_in_list(user=self.user, queue_ids=self.queue_ids)


class _TicketListPaginator(ListPaginator):
    """ListPaginator's count over _TicketListRows: the page's statement counted up to COUNT_LIMIT + 1 (a count
    query only when no page was read first); past it, PostgreSQL's estimate when higher, else "more than"."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        counted = rows.counted
        if counted is None:
            counted = selectors.count_tickets_in_list(user=rows.user, queue_ids=rows.queue_ids, up_to=COUNT_LIMIT + 1)
        if counted <= COUNT_LIMIT:
            return counted
        estimate = selectors.estimate_tickets_in_list(user=rows.user, queue_ids=rows.queue_ids)
        if estimate > counted:
            self.count_is_estimate = True
            return estimate
        self.count_is_lower_bound = True
        return counted


@staff_permission_required("service.view_ticket")
def ticket_list(request: HttpRequest) -> HttpResponse:
    queues, queue_ids = selectors.queues_with_the_agents(user=request.user)
    form = TicketFilterForm(request.GET, queues=queues)
    filters = cleaned_filters(form)
    context = {
        "bulk_form": BulkForm() if request.user.has_perm("service.change_ticket") else None,
        "now": timezone.now(),
    }
    if not any(value not in (None, "") for name, value in filters.items() if name != "sort"):
        # The unfiltered list (the agents' usual view): one plain statement for the page and its count.
        rows = _TicketListRows(user=request.user, queue_ids=queue_ids, ordering=filters.get("sort") or "")
        paginator = _TicketListPaginator(rows, PER_PAGE)
        return list_page(
            request,
            template="service/ticket_list.html",
            queryset=None,
            filter_form=form,
            context=context,
            paginator=paginator,
        )
    queryset = selectors.ticket_list(
        user=request.user,
        queue_ids=queue_ids,
        search=filters.get("q") or "",
        view=filters.get("view") or "",
        status=filters.get("status") or "",
        queue=filters.get("queue"),
        priority=filters.get("priority"),
        assignee=filters.get("assignee") or "",
        ordering=filters.get("sort") or "",
    ).only(*selectors.LIST_ROW_FIELDS)
    return list_page(request, template="service/ticket_list.html", queryset=queryset, filter_form=form, context=context)


@staff_permission_required("service.add_ticket")
def ticket_create(request: HttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            files = attachments.check_uploads(values.pop("attachments"))
            ticket = services.ticket_open(actor=request.user, attachments=files, **values)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Ticket %(reference)s is open.") % {"reference": ticket.reference})
            return redirect(ticket)
    return render(request, "service/ticket_form.html", {"form": form})


@staff_permission_required("service.view_ticket")
def ticket_detail(request: HttpRequest, number: int, *, reply_form: ReplyForm | None = None, status: int = 200):
    try:
        ticket = selectors.ticket_for_agent_page(user=request.user, number=number)
    except Ticket.DoesNotExist:
        raise Http404 from None
    return render(request, "service/ticket_detail.html", _detail_context(request, ticket, reply_form), status=status)


def _detail_context(request: HttpRequest, ticket: Ticket, reply_form: ReplyForm | None) -> dict:
    user = request.user
    conversation, canned, other_tickets = selectors.ticket_page_reads(ticket=ticket)
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "cc": selectors.ticket_cc_names(ticket=ticket),
        "reply_form": reply_form or ReplyForm(),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "merge_form": MergeForm(),
        "time_form": TimeForm(),
        "canned": canned,
        "time_entries": list(ticket.time_entries.select_related("user")) if ticket.has_time else [],
        "other_tickets": other_tickets,
        "response_left": services.sla_remaining(ticket, target="first_response"),
        "resolution_left": services.sla_remaining(ticket, target="resolution"),
        "can_change": user.has_perm("service.change_ticket"),
    }
    if ticket.organization_id:
        if user.has_perm("sales.view_credithold"):
            context["credit_hold"] = sales_selectors.credit_hold_for(organization_id=ticket.organization_id)
        if user.has_perm("sales.view_salesorder"):
            context["open_orders"] = sales_selectors.customer_open_orders_brief(organization_id=ticket.organization_id)
    context["billable_minutes"] = sum(entry.minutes for entry in context["time_entries"] if entry.billable)
    context["total_minutes"] = sum(entry.minutes for entry in context["time_entries"])
    return context


@staff_permission_required("service.change_ticket")
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                body=form.cleaned_data["body"],
                author=request.user,
                internal=form.cleaned_data["internal"],
                new_status=form.cleaned_data["new_status"],
                source=Ticket.Source.PORTAL,
                attachments=attachments.check_uploads(form.cleaned_data["attachments"]),
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            if form.cleaned_data["internal"]:
                messages.success(request, _("Your note is saved."))
            else:
                messages.success(request, _("Your reply is sent to the customer."))
            return redirect(ticket)
    return ticket_detail(request, number, reply_form=form, status=400)


def _post_action(request: HttpRequest, ticket: Ticket, form, action, success: str) -> HttpResponse:
    """Run a small form's service call; errors come back as messages on the ticket page."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, success)
    else:
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
    return redirect(ticket)


@staff_permission_required("service.change_ticket")
@require_POST
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    form = StatusForm(request.POST)
    return _post_action(
        request,
        ticket,
        form,
        lambda data: services.ticket_set_status(ticket=ticket, status=data["status"], actor=request.user),
        _("The status is changed."),
    )


@staff_permission_required("service.change_ticket")
def ticket_edit(request: HttpRequest, number: int) -> HttpResponse:
    """Priority, queue, category, assignee and tags: a page of its own, so the ticket page need not load every
    queue, category and agent for a form most visits never open."""
    ticket = _ticket_or_404(request, number)
    initial = {
        "priority": ticket.priority,
        "queue": ticket.queue_id,
        "category": ticket.category_id,
        "assignee": ticket.assignee_id,
        "tags": ", ".join(ticket.tags),
    }
    form = TicketEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_update(ticket=ticket, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The ticket is saved."))
            return redirect(ticket)
    return render(request, "service/ticket_edit.html", {"ticket": ticket, "form": form})


@staff_permission_required("service.change_ticket")
@require_POST
def ticket_merge(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    form = MergeForm(request.POST)
    if form.is_valid():
        target = selectors.tickets_for_agent(user=request.user).filter(number=form.cleaned_data["target"]).first()
        if target is None:
            messages.error(request, _("There is no ticket with that number in your queues."))
            return redirect(ticket)
        try:
            services.ticket_merge(source=ticket, target=target, actor=request.user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect(ticket)
        messages.success(request, _("%(source)s is merged into this ticket.") % {"source": ticket.reference})
        return redirect(target)
    return _post_action(request, ticket, form, lambda data: None, "")


@staff_permission_required("service.add_timeentry")
@require_POST
def ticket_time(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    form = TimeForm(request.POST)
    return _post_action(
        request,
        ticket,
        form,
        lambda data: services.time_log(ticket=ticket, user=request.user, **data),
        _("The time is logged."),
    )


@staff_permission_required("service.change_ticket")
@require_POST
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, queryset=selectors.tickets_for_agent(user=request.user))
    back = request.POST.get("next") or "service:ticket-list"
    if not back.startswith("/app/service/"):
        back = "service:ticket-list"
    if not form.is_valid():
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    choice = form.cleaned_data["assignee"]
    assignee: User | None | str = "unchanged"
    if choice == "none":
        assignee = None
    elif choice:
        assignee = User.objects.filter(pk=choice, kind=User.Kind.STAFF).first() or "unchanged"
    try:
        changed = services.tickets_bulk(
            tickets=list(form.cleaned_data["tickets"]),
            actor=request.user,
            assignee=assignee,
            status=form.cleaned_data["status"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        skipped = len(form.cleaned_data["tickets"]) - changed
        text = _("%(count)d tickets changed.") % {"count": changed}
        if skipped:
            text += " " + _("%(count)d could not change that way and were left as they were.") % {"count": skipped}
        messages.success(request, text)
    return redirect(back)


@staff_permission_required("service.view_ticket")
def canned_fill(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """The canned text with this ticket's values, for the reply box (htmx swaps it into the textarea)."""
    ticket = _ticket_or_404(request, number)
    response = get_object_or_404(selectors.canned_responses_for(ticket=ticket), pk=pk)
    text = services.canned_render(response=response, ticket=ticket, agent=request.user)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@staff_permission_required("service.view_ticket", "helpcenter.add_article")
@require_POST
def reply_to_article(request: HttpRequest, number: int, message_pk: int) -> HttpResponse:
    """Turn an agent's public answer into a draft help-center article the agent then edits."""
    from frontoffice.helpcenter import services as helpcenter

    ticket = _ticket_or_404(request, number)
    message = get_object_or_404(ticket.messages.filter(kind=Message.Kind.REPLY, from_customer=False), pk=message_pk)
    article = helpcenter.article_draft_from_text(
        actor=request.user, title=ticket.subject, body=message.body, source_ticket_number=ticket.number
    )
    messages.success(request, _("A draft article was made from the answer. Edit and publish it when it reads well."))
    return redirect(article)


@staff_permission_required("service.view_ticket")
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        attachment = selectors.attachment_for_agent(user=request.user, pk=pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return attachments.download_response(attachment)


@staff_permission_required("service.add_ticket")
def person_lookup(request: HttpRequest) -> HttpResponse:
    """The best ten people for the requester box."""
    query = request.GET.get("q", "").strip()[:100]
    options = parties_selectors.person_list(search=query)[:10] if query else []
    return render(request, "includes/autocomplete_options.html", {"options": options, "query": query})


@staff_permission_required("service.view_ticket")
def sla_report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = ReportForm(request.GET or {"date_from": today - timedelta(days=30), "date_to": today, "group": "queue"})
    rows = []
    if form.is_valid():
        rows = selectors.sla_report(
            user=request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            group=form.cleaned_data["group"],
        )
        if request.GET.get("format") == "csv":
            return _report_csv(rows)
    return render(request, "service/sla_report.html", {"form": form, "rows": rows})


def _report_csv(rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sla-report.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [_("Name"), _("Tickets"), _("First response met (%)"), _("Resolution met (%)"), _("Breached"), _("CSAT")]
    )
    for row in rows:
        csat = f"{row['csat']:.2f}" if row["csat"] is not None else ""
        writer.writerow(
            [row["name"], row["tickets"], row["response_rate"], row["resolution_rate"], row["breached"], csat]
        )
    return response
