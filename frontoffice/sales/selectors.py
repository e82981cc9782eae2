"""Reads of sales for pages and the API, in a fixed number of queries."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Window
from django.utils import timezone

from core.database import Columns
from frontoffice.crm.models import Account
from frontoffice.sales import pricing
from frontoffice.sales.models import (
    CreditHold,
    Lead,
    Opportunity,
    PipelineStage,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)

LEAD_ORDERINGS = {"-created_at", "created_at", "company_name", "-company_name"}
OPPORTUNITY_ORDERINGS = {"expected_close", "-expected_close", "amount", "-amount", "name", "-name"}


def lead_list(
    *, search: str = "", status: str = "", owner_id: int | None = None, source: str = "", ordering: str = "-created_at"
) -> QuerySet[Lead]:
    queryset = Lead.objects.select_related("owner")
    if source:
        queryset = queryset.filter(source=source)
    if search:
        queryset = queryset.filter(
            Q(company_name__icontains=search) | Q(email__iexact=search) | Q(last_name__icontains=search)
        )
    if status:
        queryset = queryset.filter(status=status)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset.order_by(ordering if ordering in LEAD_ORDERINGS else "-created_at", "-pk")


def opportunity_list(
    *,
    search: str = "",
    status: str = "",
    stage_id: int | None = None,
    owner_id: int | None = None,
    account_id: int | None = None,
    ordering: str = "expected_close",
) -> QuerySet[Opportunity]:
    queryset = Opportunity.objects.select_related("account__organization", "stage", "owner", "currency")
    if account_id:
        queryset = queryset.filter(account_id=account_id)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(account__organization__name__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    if stage_id:
        queryset = queryset.filter(stage_id=stage_id)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset.order_by(ordering if ordering in OPPORTUNITY_ORDERINGS else "expected_close", "-pk")


def active_stages() -> QuerySet[PipelineStage]:
    return PipelineStage.objects.filter(is_active=True).order_by("position")


class BoardCard(NamedTuple):
    """An open opportunity as the pipeline board shows it: no more than the card needs."""

    pk: int
    name: str
    account_name: str
    amount: Decimal
    currency_id: str
    expected_close: date | None
    stage_id: int
    probability: int  # the opportunity's own, else its stage's


def pipeline_board(*, owner_id: int | None = None) -> list[dict]:
    """Open opportunities by stage, with each column's count, total and weighted total, in two queries.

    The board can hold hundreds of cards: they are read as plain values (no
    model instances, no joins beyond the account's name).
    """
    stages = list(active_stages())
    opportunities = Opportunity.objects.filter(status=Opportunity.Status.OPEN, stage__in=stages)
    if owner_id:
        opportunities = opportunities.filter(owner_id=owner_id)
    rows = opportunities.order_by("expected_close", "pk").values_list(
        "pk",
        "name",
        "account__organization__name",
        "amount",
        "currency_id",
        "expected_close",
        "stage_id",
        "probability",
    )[:2000]
    probability_of = {stage.pk: stage.probability for stage in stages}
    by_stage: dict[int, list[BoardCard]] = {stage.pk: [] for stage in stages}
    for pk, name, account_name, amount, currency_id, expected_close, stage_id, probability in rows:
        by_stage[stage_id].append(
            BoardCard(
                pk=pk,
                name=name,
                account_name=account_name,
                amount=amount,
                currency_id=currency_id,
                expected_close=expected_close,
                stage_id=stage_id,
                probability=probability_of[stage_id] if probability is None else probability,
            )
        )
    columns = []
    for stage in stages:
        cards = by_stage[stage.pk]
        total = sum((card.amount for card in cards), Decimal("0"))
        weighted = sum((card.amount * card.probability / 100 for card in cards), Decimal("0"))
        columns.append({"stage": stage, "cards": cards, "total": total, "weighted": weighted.quantize(Decimal("0.01"))})
    return columns


def forecast(*, months: int = 6, today=None) -> dict:
    """Weighted pipeline per month of expected close and per owner, computed by the database.

    Weighted value = amount × probability (the opportunity's own, else its
    stage's). Open deals only; deals without an expected close date or already
    overdue are counted under "overdue or undated" so nothing disappears.
    """
    from datetime import date

    from django.db.models import DecimalField, ExpressionWrapper, F, Sum
    from django.db.models.functions import Coalesce, TruncMonth
    from django.utils import timezone

    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    end_month = (first.month - 1 + months) % 12 + 1
    end = date(first.year + (first.month - 1 + months) // 12, end_month, 1)
    weighted = ExpressionWrapper(
        F("amount") * Coalesce(F("probability"), F("stage__probability")) / 100,
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    open_deals = Opportunity.objects.filter(status=Opportunity.Status.OPEN)
    rows = (
        open_deals.filter(expected_close__gte=first, expected_close__lt=end)
        .annotate(month=TruncMonth("expected_close"))
        .values("month", "owner_id", "owner__full_name", "owner__email")
        .annotate(total=Sum("amount"), weighted=Sum(weighted))
        .order_by("month", "owner__full_name")
    )
    undated = open_deals.filter(Q(expected_close__isnull=True) | Q(expected_close__lt=first)).aggregate(
        total=Sum("amount"), weighted=Sum(weighted)
    )
    month_list = []
    cursor = first
    while cursor < end:
        month_list.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    owners: dict = {}
    totals = {month: Decimal("0") for month in month_list}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        name = row["owner__full_name"] or row["owner__email"] or "—"
        owners.setdefault(name, {m: Decimal("0") for m in month_list})[month] = row["weighted"] or Decimal("0")
        totals[month] += row["weighted"] or Decimal("0")
    return {
        "months": month_list,
        "owners": [
            {"name": name, "values": [values[m] for m in month_list]} for name, values in sorted(owners.items())
        ],
        "totals": [totals[m] for m in month_list],
        "undated": {"total": undated["total"] or Decimal("0"), "weighted": undated["weighted"] or Decimal("0")},
    }


# --- quotes and orders ---------------------------------------------------------------

QUOTE_ORDERINGS = {"-created_at", "created_at", "total", "-total", "valid_until", "-valid_until", "number", "-number"}
ORDER_ORDERINGS = {"-created_at", "created_at", "total", "-total", "number", "-number"}


def quote_list(
    *,
    search: str = "",
    status: str = "",
    account_id: int | None = None,
    owner_id: int | None = None,
    organization_id: int | None = None,
    opportunity_id: int | None = None,
    ordering: str = "-created_at",
) -> QuerySet[Quote]:
    queryset = Quote.objects.select_related("account__organization", "owner", "currency")
    if opportunity_id:
        queryset = queryset.filter(opportunity_id=opportunity_id)
    if search:
        queryset = queryset.filter(Q(number__iexact=search) | Q(account__organization__name__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    if account_id:
        queryset = queryset.filter(account_id=account_id)
    if organization_id:
        queryset = queryset.filter(account__organization_id=organization_id)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset.order_by(ordering if ordering in QUOTE_ORDERINGS else "-created_at", "-pk")


def quote_detail(*, pk: int) -> Quote:
    return (
        Quote.objects.select_related(
            "account__organization", "contact", "opportunity", "currency", "owner", "delivery_address", "previous"
        )
        .prefetch_related(Prefetch("lines", QuoteLine.objects.select_related("product").order_by("position", "pk")))
        .get(pk=pk)
    )


def quote_versions(*, quote: Quote) -> QuerySet[Quote]:
    return Quote.objects.filter(number=quote.number).order_by("-version")


def order_list(
    *,
    search: str = "",
    status: str = "",
    account_id: int | None = None,
    owner_id: int | None = None,
    organization_id: int | None = None,
    invoice_status: str = "",
    delivery_status: str = "",
    ordering: str = "-created_at",
) -> QuerySet[SalesOrder]:
    queryset = SalesOrder.objects.select_related("account__organization", "owner", "currency", "quote")
    if invoice_status:
        queryset = queryset.filter(invoice_status=invoice_status)
    if delivery_status:
        queryset = queryset.filter(delivery_status=delivery_status)
    if search:
        queryset = queryset.filter(
            Q(number__iexact=search)
            | Q(customer_reference__iexact=search)
            | Q(account__organization__name__icontains=search)
        )
    if status:
        queryset = queryset.filter(status=status)
    if account_id:
        queryset = queryset.filter(account_id=account_id)
    if organization_id:
        queryset = queryset.filter(account__organization_id=organization_id)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset.order_by(ordering if ordering in ORDER_ORDERINGS else "-created_at", "-pk")


def order_detail(*, pk: int) -> SalesOrder:
    return (
        SalesOrder.objects.select_related(
            "account__organization", "contact", "opportunity", "currency", "owner", "delivery_address", "quote"
        )
        .prefetch_related(
            Prefetch("lines", SalesOrderLine.objects.select_related("product").order_by("position", "pk"))
        )
        .get(pk=pk)
    )


def document_tax_breakdown(document: Quote | SalesOrder) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Net and VAT per rate, rounded the way the document's totals were (for printouts and pages)."""
    lines = document.lines.all()
    totals = pricing.document_totals(
        [
            pricing.LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            for line in lines
        ],
        rounding=document.tax_rounding,
        decimal_places=document.currency.decimal_places,
    )
    return totals.tax_by_rate


def quote_answer_state(quote: Quote, today: date | None = None) -> str:
    """Where a quote stands for its customer: "open" to answer, "expired", or its status (accepted, declined, ...)."""
    if quote.status == Quote.Status.SENT:
        return "expired" if quote.valid_until < (today or timezone.localdate()) else "open"
    return quote.status


def sent_revision_of(*, quote: Quote) -> Quote | None:
    """The newer version that replaced a revised quote, once it has been sent to the customer."""
    return Quote.objects.filter(previous=quote).exclude(status__in=[Quote.Status.DRAFT, Quote.Status.CANCELLED]).first()


def order_for_quote(*, quote: Quote) -> SalesOrder | None:
    return SalesOrder.objects.filter(quote=quote).first()


def account_opportunity(*, account_id: int, pk) -> Opportunity | None:
    """An opportunity of this account (a quote made from a deal), or None for any other id."""
    try:
        return Opportunity.objects.filter(account_id=account_id, pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def credit_hold_for(*, organization_id: int) -> CreditHold | None:
    """Finance's latest word on the customer's credit, when it has said anything.

    One plain statement (one row by its primary key): every staff ticket page asks, and through the ORM the
    question cost more to build than to answer.
    """
    columns = Columns(CreditHold)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM {CreditHold._meta.db_table} WHERE organization_id = %s", [organization_id]
        )
        row = cursor.fetchone()
    return columns.instance(row) if row else None


def customer_sales_summary(*, organization_id: int) -> dict:
    """For the customer's 360 header: the next open opportunities (with how many there are) and open orders.

    Two queries: the count of open opportunities rides on the first rows as a window aggregate.
    """
    open_opportunities = list(
        Opportunity.objects.filter(account__organization_id=organization_id, status=Opportunity.Status.OPEN)
        .select_related("stage")
        .annotate(open_count=Window(Count("pk")))
        .order_by("expected_close", "-pk")[:5]
    )
    return {
        "open_opportunities": open_opportunities,
        "open_opportunity_count": open_opportunities[0].open_count if open_opportunities else 0,
        "open_orders": customer_open_orders(organization_id=organization_id),
    }


def customer_open_orders(*, organization_id: int, limit: int = 5) -> list[SalesOrder]:
    """The customer's latest orders not yet both delivered and paid (what support is asked "where is it?" about)."""
    return list(
        SalesOrder.objects.filter(account__organization_id=organization_id)
        .exclude(status=SalesOrder.Status.CANCELLED)
        .exclude(delivery_status=SalesOrder.DeliveryStatus.DELIVERED, invoice_status=SalesOrder.InvoiceStatus.PAID)
        .order_by("-created_at", "-pk")[:limit]
    )


# What a ticket page shows of an open order (customer_open_orders_brief).
_BRIEF_ORDER_FIELDS = ("id", "number", "status", "delivery_status", "invoice_status", "created_at", "account_id")


def customer_open_orders_brief(*, organization_id: int, limit: int = 5) -> list[SalesOrder]:
    """customer_open_orders for a page that shows only their numbers and statuses, in one plain statement.

    The orders carry only those fields (and their account); any other is read when touched.
    """
    columns = Columns(SalesOrder, _BRIEF_ORDER_FIELDS, table="o")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {columns.sql} FROM {SalesOrder._meta.db_table} o
            JOIN {Account._meta.db_table} a ON a.id = o.account_id
            WHERE a.organization_id = %(organization)s AND o.status <> %(cancelled)s
              AND NOT (o.delivery_status = %(delivered)s AND o.invoice_status = %(paid)s)
            ORDER BY o.created_at DESC, o.id DESC
            LIMIT %(limit)s
            """,
            {
                "organization": organization_id,
                "cancelled": SalesOrder.Status.CANCELLED,
                "delivered": SalesOrder.DeliveryStatus.DELIVERED,
                "paid": SalesOrder.InvoiceStatus.PAID,
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    return [columns.instance(row) for row in rows]


def portal_quotes(*, organization_id: int) -> QuerySet[Quote]:
    """What a customer's portal lists: the quotes sent to their organization (never drafts)."""
    return (
        Quote.objects.filter(account__organization_id=organization_id)
        .exclude(status__in=[Quote.Status.DRAFT, Quote.Status.CANCELLED])
        .select_related("currency")
        .order_by("-sent_at", "-pk")
    )


def portal_orders(*, organization_id: int) -> QuerySet[SalesOrder]:
    return (
        SalesOrder.objects.filter(account__organization_id=organization_id)
        .exclude(status=SalesOrder.Status.DRAFT)
        .select_related("currency")
        .order_by("-confirmed_at", "-pk")
    )
