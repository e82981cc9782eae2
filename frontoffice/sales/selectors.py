"""Reads of sales for pages and the API, in a fixed number of queries."""

from django.db.models import Q, QuerySet

from frontoffice.sales.models import Lead, Opportunity, PipelineStage

LEAD_ORDERINGS = {"-created_at", "created_at", "company_name", "-company_name"}
OPPORTUNITY_ORDERINGS = {"expected_close", "-expected_close", "amount", "-amount", "name", "-name"}


def lead_list(*, search: str = "", status: str = "", owner_id: int | None = None, ordering: str = "-created_at"):
    queryset = Lead.objects.select_related("owner")
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
    ordering: str = "expected_close",
) -> QuerySet[Opportunity]:
    queryset = Opportunity.objects.select_related("account__organization", "stage", "owner", "currency")
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
