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
