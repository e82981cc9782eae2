"""Reads of sales for pages and the API, in a fixed number of queries."""

from decimal import Decimal

from django.db.models import Q, QuerySet

from frontoffice.sales.models import Lead, Opportunity, PipelineStage

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


def pipeline_board(*, owner_id: int | None = None) -> list[dict]:
    """Open opportunities by stage, with each column's count, total and weighted total, in two queries."""
    stages = list(active_stages())
    opportunities = Opportunity.objects.filter(status=Opportunity.Status.OPEN, stage__in=stages).select_related(
        "account__organization", "currency", "owner", "stage"
    )
    if owner_id:
        opportunities = opportunities.filter(owner_id=owner_id)
    by_stage: dict[int, list[Opportunity]] = {stage.pk: [] for stage in stages}
    for opportunity in opportunities.order_by("expected_close", "pk")[:2000]:
        by_stage[opportunity.stage_id].append(opportunity)
    columns = []
    for stage in stages:
        cards = by_stage[stage.pk]
        total = sum((card.amount for card in cards), Decimal("0"))
        weighted = sum((card.amount * card.effective_probability / 100 for card in cards), Decimal("0"))
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
