"""Reads of organizations and people that are more than a one-line query."""

from typing import NamedTuple

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.database import Columns
from core.parties.keys import email_key_of, identifier_key_of, name_key_of
from core.parties.models import Organization, Person

ORGANIZATION_ORDERINGS = {"name", "-name", "created_at", "-created_at", "people_count", "-people_count"}
PERSON_ORDERINGS = {"last_name", "-last_name", "email", "-email", "organization__name", "-organization__name"}


def organization_search(search: str) -> Q:
    """Organizations matching a search box: name contains it, or the org number, VAT number or e-mail is it.

    Every branch has its own index on the organization table (trigram on the
    name, the others btree), so PostgreSQL combines them with a bitmap OR
    instead of reading the whole table.
    """
    return (
        Q(name__icontains=search)
        | Q(org_number_key=identifier_key_of(search))
        | Q(email__iexact=search)
        | Q(vat_number__iexact=search)
    )


def organization_list(
    *, search: str = "", role: str = "", is_active: bool | None = None, ordering: str = "name"
) -> QuerySet[Organization]:
    """Organizations for a list page: filtered, with their number of people, in a fixed number of queries."""
    # A correlated subquery, not Count() with GROUP BY: PostgreSQL then counts people only for the
    # 25 rows of the page instead of grouping the whole table before the LIMIT.
    people = Person.objects.filter(organization=OuterRef("pk")).order_by().values("organization")
    queryset = Organization.objects.annotate(
        people_count=Coalesce(Subquery(people.annotate(count=Count("pk")).values("count")), 0)
    )
    if search:
        queryset = queryset.filter(organization_search(search))
    if role:
        queryset = queryset.filter(roles__contains=[role])
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if ordering not in ORGANIZATION_ORDERINGS:
        ordering = "name"
    return queryset.order_by(ordering, "pk")


def organization_detail(*, pk: int) -> Organization:
    return Organization.objects.prefetch_related("addresses").get(pk=pk)


def organization_people(*, organization: Organization) -> QuerySet[Person]:
    return organization.people.select_related("user").order_by("last_name", "first_name", "pk")


def organization_duplicates(
    *, name: str = "", org_number: str = "", email: str = "", exclude_pk: int | None = None
) -> QuerySet[Organization]:
    """Organizations that are probably the same as the one described: same normalized name, org number or e-mail."""
    condition = Q()
    if name.strip():
        condition |= Q(name_key=name_key_of(name))
    if org_number.strip():
        condition |= Q(org_number_key=identifier_key_of(org_number)) & ~Q(org_number_key="")
    if email.strip():
        condition |= Q(email__iexact=email.strip())
    if not condition:
        return Organization.objects.none()
    queryset = Organization.objects.filter(condition, merged_into__isnull=True)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.order_by("name", "pk")[:10]


def organization_duplicate_groups(*, limit: int = 100) -> list[dict]:
    """Groups of active organizations sharing a normalized name or org number, biggest first."""
    groups: list[dict] = []
    for key_field in ("name_key", "org_number_key"):
        rows = (
            Organization.objects.filter(merged_into__isnull=True)
            .exclude(**{key_field: ""})
            .values(key_field)
            .annotate(count=Count("pk"))
            .filter(count__gt=1)
            .order_by("-count", key_field)[:limit]
        )
        keys = [row[key_field] for row in rows]
        members: dict[str, list[Organization]] = {key: [] for key in keys}
        candidates = Organization.objects.filter(merged_into__isnull=True, **{f"{key_field}__in": keys})
        for organization in candidates.order_by("pk"):
            members[getattr(organization, key_field)].append(organization)
        groups.extend({"match": key_field, "key": key, "organizations": members[key]} for key in keys)
    return groups


def person_list(
    *,
    search: str = "",
    organization_id: int | None = None,
    role: str = "",
    has_portal_user: bool | None = None,
    ordering: str = "last_name",
) -> QuerySet[Person]:
    """People for a list page, with their organization and portal login joined in."""
    queryset = Person.objects.select_related("organization", "user")
    if has_portal_user is not None:
        queryset = queryset.filter(user__isnull=not has_portal_user)
    if search:
        for word in search.split()[:4]:
            queryset = queryset.filter(
                Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
            )
    if organization_id:
        queryset = queryset.filter(organization_id=organization_id)
    if role:
        queryset = queryset.filter(roles__contains=[role])
    if ordering not in PERSON_ORDERINGS:
        ordering = "last_name"
    return queryset.order_by(ordering, "first_name", "pk")


def person_duplicates(
    *, email: str = "", first_name: str = "", last_name: str = "", exclude_pk: int | None = None
) -> QuerySet[Person]:
    """People that are probably the same: same e-mail, or same full name at any organization."""
    condition = Q()
    if email.strip():
        condition |= Q(email_key=email_key_of(email))
    if first_name.strip() and last_name.strip():
        condition |= Q(first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip())
    if not condition:
        return Person.objects.none()
    queryset = Person.objects.filter(condition).select_related("organization")
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.order_by("pk")[:10]


def person_for_portal_user(*, user) -> Person | None:
    """The person a customer's login belongs to, with their organization."""
    return Person.objects.select_related("organization").filter(user=user).first()


class PortalViewer(NamedTuple):
    """What decides which requests a customer's login may see (service's tickets_for_customer)."""

    person_id: int
    organization_id: int | None
    sees_organization: bool  # their organization lets everyone in it see all its requests


def portal_viewer(*, user) -> PortalViewer | None:
    """The login's active person and their organization's portal visibility, in one plain statement (every
    portal page asks; person_for_portal_user reads the whole person and organization for it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT p.id, p.organization_id, COALESCE(o.portal_visibility = %(organization)s, FALSE)
            FROM {Person._meta.db_table} p LEFT JOIN {Organization._meta.db_table} o ON o.id = p.organization_id
            WHERE p.user_id = %(user)s AND p.is_active
            ORDER BY p.id LIMIT 1
            """,
            {"user": user.pk, "organization": Organization.PortalVisibility.ORGANIZATION},
        )
        row = cursor.fetchone()
    return PortalViewer(*row) if row else None


# What the new-ticket form shows of the customer and their colleagues (portal_person_and_colleagues).
PORTAL_PERSON_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "job_title",
    "organization_id",
    "user_id",
    "is_active",
)


def portal_person_and_colleagues(*, user, limit: int = 50, whole: bool = False) -> tuple[Person | None, list[Person]]:
    """The login's person and the other portal users of their organization (as portal_colleagues, at most
    `limit`), in one plain statement: through the ORM the two reads cost about a millisecond of Python, this one a
    tenth of that.

    For a page that only shows them, the people carry only PORTAL_PERSON_FIELDS; any other field is read from the
    database when touched (Django's deferred fields). With `whole`, for work done on the person's behalf (opening a
    ticket), everyone carries every field and the person their organization too, as person_for_portal_user gives.
    """
    people_columns = Columns(Person, None if whole else PORTAL_PERSON_FIELDS, table="p")
    columns, join = people_columns.sql, ""
    if whole:  # the organization's columns on the person's own row only
        organization_columns = Columns(Organization, table="o")
        columns += f", {organization_columns.sql}"
        join = f"LEFT JOIN {Organization._meta.db_table} o ON o.id = p.organization_id AND p.user_id = %(user)s"
    table = Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {columns} FROM {table} p {join}
            WHERE p.user_id = %(user)s
               OR (p.organization_id = (SELECT organization_id FROM {table} WHERE user_id = %(user)s)
                   AND p.user_id IS NOT NULL AND p.is_active)
            ORDER BY p.user_id = %(user)s DESC, p.last_name, p.first_name
            LIMIT %(limit)s
            """,
            {"user": user.pk, "limit": limit + 1},
        )
        rows = cursor.fetchall()
    width = len(people_columns)
    people = [people_columns.instance(row[:width]) for row in rows]
    if not people or people[0].user_id != user.pk:
        return None, []
    person = people[0]
    if whole:
        organization = organization_columns.instance(rows[0][width:]) if person.organization_id else None
        Person.organization.field.set_cached_value(person, organization)
    return person, people[1 : limit + 1]


def portal_colleagues(*, person: Person) -> list[Person]:
    """Other people of the customer's organization who use the portal."""
    if person.organization_id is None:
        return []
    return list(
        Person.objects.filter(organization_id=person.organization_id, user__isnull=False, is_active=True)
        .exclude(pk=person.pk)
        .order_by("last_name", "first_name")[:50]
    )
