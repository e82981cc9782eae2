"""Reads of the CRM for pages and the API, each in a fixed number of queries."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.parties.models import Organization, Person
from core.parties.selectors import organization_search
from frontoffice.crm.models import Account, Activity

ACCOUNT_ORDERINGS = {"organization__name", "-organization__name", "created_at", "-created_at", "lifecycle_stage"}


def account_list(
    *,
    search: str = "",
    owner_id: int | None = None,
    stage: str = "",
    segment: str = "",
    tag: str = "",
    ordering: str = "organization__name",
    matching: "OrganizationMatch | None" = None,
) -> QuerySet[Account]:
    """Accounts with their organization, owner and number of open activities.

    `matching`: the search's organizations already looked up by `organizations_matching(search)`.
    """
    # Counted per row by a subquery, so only the page's rows are counted (no GROUP BY over the table).
    open_activities = (
        Activity.objects.filter(account=OuterRef("pk"), done_at__isnull=True)
        .order_by()
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    queryset = Account.objects.select_related("organization", "owner").annotate(
        open_activities=Coalesce(Subquery(open_activities), 0)
    )
    if search or matching is not None:
        matching = matching if matching is not None else organizations_matching(search)
        queryset = queryset.filter(organization_id__in=matching.organizations)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    if stage:
        queryset = queryset.filter(lifecycle_stage=stage)
    if segment:
        queryset = queryset.filter(segment=segment)
    if tag:
        queryset = queryset.filter(tags__contains=[tag.lower()])
    if ordering not in ACCOUNT_ORDERINGS:
        ordering = "organization__name"
    return queryset.order_by(ordering, "pk")


# A search that matches up to this many organizations hands their ids to the list's queries.
SEARCH_ID_LIMIT = 2000


class OrganizationMatch(NamedTuple):
    organizations: RawSQL | QuerySet  # their ids, for organization_id__in
    narrow: bool  # at most SEARCH_ID_LIMIT of them: a list of them is short enough to count with its page


def organizations_matching(search: str) -> OrganizationMatch:
    """Organizations found by their own indexes, looked up once per page.

    The search (a trigram index scan) is the dearest part of the page, and the
    list runs two queries (its rows, and the count) that would each repeat it
    as a subquery. A search that matches a few thousand organizations or fewer
    is run once here and the two queries get the ids, as one array parameter
    (one placeholder per id would make every query text different, and
    psycopg would parse each anew); a wider one stays a subquery.
    """
    matching = Organization.objects.filter(organization_search(search)).order_by().values_list("pk", flat=True)
    ids = list(matching[: SEARCH_ID_LIMIT + 1])
    if len(ids) <= SEARCH_ID_LIMIT:
        return OrganizationMatch(RawSQL("SELECT unnest(%s::bigint[])", [ids]), narrow=True)
    return OrganizationMatch(matching, narrow=False)


class _Named(NamedTuple):
    name: str


class AccountRow(NamedTuple):
    """An account list row as crm/templatetags/account_rows.py reads it (the attributes of an Account it uses)."""

    pk: int
    industry: str
    tags: list[str]
    lifecycle_stage: str
    segment: str
    created_at: datetime
    organization: _Named
    owner: str | None
    open_activities: int


# The account list's sort keys in SQL; every order ends with the account's id, as account_list's does.
_ACCOUNT_ROW_ORDERS = {
    "organization__name": "o.name",
    "-organization__name": "o.name DESC",
    "created_at": "a.created_at",
    "-created_at": "a.created_at DESC",
    "lifecycle_stage": "a.lifecycle_stage",
}


class AccountSearchPage(NamedTuple):
    rows: list[AccountRow]
    total: int | None  # every account the search finds (None when the page is empty)
    narrow: bool  # False: the search found more than SEARCH_ID_LIMIT organizations, and the rows are not read


def account_search_page(
    *,
    search: str,
    stage: str = "",
    segment: str = "",
    owner_id: int | None = None,
    ordering: str = "organization__name",
    offset: int = 0,
    limit: int = 26,
) -> AccountSearchPage:
    """A page of account_list(search=…) as AccountRow, its total and the matched organizations, in one statement.

    The search's organizations (their own indexes, as organizations_matching) are looked up once, in a
    materialized CTE capped at SEARCH_ID_LIMIT + 1; the page and its window count read them. Through the ORM
    the two statements cost about 2 ms of Python a page, this one about 0.4 ms. A wider search (more than
    SEARCH_ID_LIMIT organizations) answers `narrow=False` with no rows: the caller takes account_list.
    """
    matching_sql, params = (
        Organization.objects.filter(organization_search(search))
        .order_by()
        .values("pk")[: SEARCH_ID_LIMIT + 1]
        .query.sql_with_params()
    )
    params = list(params)
    conditions = ["a.organization_id IN (SELECT organization FROM matching)"]
    if stage:
        conditions.append("a.lifecycle_stage = %s")
        params.append(stage)
    if segment:
        conditions.append("a.segment = %s")
        params.append(segment)
    if owner_id:
        conditions.append("a.owner_id = %s")
        params.append(owner_id)
    order = _ACCOUNT_ROW_ORDERS.get(ordering, _ACCOUNT_ROW_ORDERS["organization__name"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH matching (organization) AS MATERIALIZED ({matching_sql})
            SELECT a.id, a.industry, a.tags, a.lifecycle_stage, a.segment, a.created_at, o.name,
                   CASE WHEN u.id IS NULL THEN NULL ELSE COALESCE(NULLIF(u.full_name, ''), u.email) END,
                   (SELECT count(*) FROM crm_activity x WHERE x.account_id = a.id AND x.done_at IS NULL),
                   count(*) OVER (),
                   (SELECT count(*) FROM matching)
            FROM crm_account a
            JOIN parties_organization o ON o.id = a.organization_id
            LEFT JOIN accounts_user u ON u.id = a.owner_id
            WHERE {" AND ".join(conditions)}
            ORDER BY {order}, a.id
            LIMIT %s OFFSET %s
            """,
            [*params, limit, offset],
        )
        found = cursor.fetchall()
    if found and found[0][-1] > SEARCH_ID_LIMIT:
        return AccountSearchPage([], None, narrow=False)
    rows = [AccountRow(*row[:6], _Named(row[6]), row[7], row[8]) for row in found]
    return AccountSearchPage(rows, found[0][-2] if found else None, narrow=True)


def account_contacts(*, account: Account) -> QuerySet[Person]:
    return (
        Person.objects.filter(organization_id=account.organization_id)
        .select_related("crm_profile", "user")
        .order_by("last_name", "first_name", "pk")
    )


def account_activities(*, account: Account, limit: int = 50) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(account=account)
        .select_related("assignee", "contact")
        .order_by("done_at", "due_at", "-created_at")[:limit]
    )


BUCKETS = ("overdue", "today", "upcoming", "done")


def activities_for(*, user, bucket: str, now: datetime | None = None) -> QuerySet[Activity]:
    """The user's activities: overdue, due today, upcoming (later or undated), or done in the last 30 days."""
    now = now or timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = start_of_day + timedelta(days=1)
    queryset = Activity.objects.filter(assignee=user).select_related("account__organization", "contact")
    if bucket == "done":
        return queryset.filter(done_at__gte=now - timedelta(days=30)).order_by("-done_at")
    queryset = queryset.filter(done_at__isnull=True)
    if bucket == "overdue":
        return queryset.filter(due_at__lt=start_of_day).order_by("due_at")
    if bucket == "today":
        return queryset.filter(due_at__gte=start_of_day, due_at__lt=end_of_day).order_by("due_at")
    return queryset.filter(Q(due_at__gte=end_of_day) | Q(due_at__isnull=True)).order_by("due_at", "-created_at")


def activity_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    return {bucket: activities_for(user=user, bucket=bucket, now=now).count() for bucket in BUCKETS}


CONTACT_ORDERINGS = {"last_name", "-last_name", "email", "-email", "organization__name", "-organization__name"}


def contact_list(
    *, search: str = "", email_consent: str = "", phone_consent: str = "", ordering: str = ""
) -> QuerySet[Person]:
    """People of organizations that have an account, with their CRM profile and organization.

    `email_consent`/`phone_consent` are "yes" or "no" (people without a profile have agreed to nothing).
    """
    queryset = Person.objects.filter(organization__crm_account__isnull=False).select_related(
        "crm_profile", "organization"
    )
    for word in search.split()[:4]:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(organization__name__icontains=word)
        )
    for channel, wanted in (("email_consent", email_consent), ("phone_consent", phone_consent)):
        if wanted in ("yes", "no"):
            agreed = Q(**{f"crm_profile__{channel}": True})
            queryset = queryset.filter(agreed if wanted == "yes" else ~agreed)
    if not ordering:
        return queryset
    ordering = ordering if ordering in CONTACT_ORDERINGS else "last_name"
    return queryset.order_by(ordering, "last_name", "first_name", "pk")


def activity_list() -> QuerySet[Activity]:
    return Activity.objects.select_related("account__organization", "contact", "assignee")


def account_for_organization(*, organization_id: int) -> Account | None:
    """The CRM account of an organization, with its owner (None when the CRM has none)."""
    return Account.objects.select_related("owner").filter(organization_id=organization_id).first()


def merge_preview(*, survivor, duplicate) -> dict:
    """What a merge would move, for the confirmation step."""
    account = Account.objects.filter(organization=duplicate).first()
    return {
        "people": duplicate.people.count(),
        "addresses": duplicate.addresses.count(),
        "account": account,
        "activities": account.activities.count() if account else 0,
        "survivor_account": Account.objects.filter(organization=survivor).first(),
    }
