"""Benchmark of the customer pages with a big company: account list, pipeline board, customer 360.

Seeds (once) 100,000 organizations with CRM accounts, 300,000 people, 50,000
opportunities (49,500 won or lost, 500 open on the pipeline board) and
1,000,000 timeline entries (10,000 of them on one customer) into a separate
database, serves Kontor with gunicorn (2 sync workers, DEBUG off) and drives
each page with wrk (8 connections, 15 s), printing req/s, p50/p95 ms, the SQL
queries one request makes, and the CPU time the gunicorn workers (app) and
the PostgreSQL backends (db) spent per request. Two floor pages run last: a bare view behind
session sign-in and the staff layout around an empty page (bench/_floor_urls.py),
what any staff page costs before it does its own work.

    .venv/bin/python bench/crm.py [--seconds 15] [--only "pipeline"]
"""

import argparse
import os
import sys
import time

from _harness import ROOT, CpuMeter, environment, gunicorn, prepare_database, queries_per_request, session_cookie, wrk

DATABASE = os.environ.get("BENCH_CRM_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor_bench_crm")
PORT = int(os.environ.get("BENCH_PORT", "8150"))
ENV = environment(
    DATABASE,
    os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
    # Kontor plus two floor pages (bench/_floor_urls.py): what any page costs before its own work.
    DJANGO_SETTINGS_MODULE="bench._floor_settings",
)
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

ORGANIZATIONS = 100_000
BIG_CUSTOMER_ENTRIES = 10_000
TIMELINE_ENTRIES = 1_000_000
OPPORTUNITIES = 50_000
OPEN_OPPORTUNITIES = 500  # what the pipeline board shows; the rest are won or lost


def seed(sales_id: int) -> int:
    """Bulk rows in SQL (minutes with the ORM, seconds this way); returns the big customer's id."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parties_organization WHERE name LIKE 'Bench %%'")
        if cursor.fetchone()[0] < ORGANIZATIONS:
            print("seeding (once)…", flush=True)
            cursor.execute(
                """
                INSERT INTO parties_organization (name, org_number, vat_number, roles, email, phone, website, country,
                    portal_visibility, is_active, notes, created_at, updated_at)
                SELECT 'Bench Company ' || g || ' AB',
                    lpad(g::text, 6, '5') || '-' || lpad((g %% 10000)::text, 4, '0'), '', '{customer}',
                    'info' || g || '@bench.example', '', '', 'SE', 'organization', true, '', now(), now()
                FROM generate_series(1, %s) g
                """,
                [ORGANIZATIONS],
            )
            cursor.execute(
                """
                INSERT INTO parties_person (first_name, last_name, email, phone, job_title, organization_id, roles,
                    is_active, notes, created_at, updated_at)
                SELECT 'Person' || n, 'Bench' || o.id, 'p' || n || '.' || o.id || '@bench.example', '', 'Buyer', o.id,
                    '{customer}', true, '', now(), now()
                FROM parties_organization o, generate_series(1, 3) n WHERE o.name LIKE 'Bench %%'
                """
            )
            cursor.execute(
                """
                INSERT INTO crm_account (organization_id, owner_id, segment, industry, lifecycle_stage, tags, notes,
                    created_at, updated_at)
                SELECT o.id, %s, 'mid-market', 'Retail', 'customer', '{bench}', '', now(), now()
                FROM parties_organization o WHERE o.name LIKE 'Bench %%'
                ON CONFLICT DO NOTHING
                """,
                [sales_id],
            )
            cursor.execute("SELECT min(id), max(id) FROM parties_organization WHERE name LIKE 'Bench %%'")
            first, last = cursor.fetchone()
            cursor.execute(
                """
                INSERT INTO customer360_timelineentry (organization_id, event_uuid, event_name, office, occurred_at,
                    title, url, required_permission)
                SELECT CASE WHEN g <= %s THEN %s ELSE %s + (g %% (%s - %s + 1)) END, gen_random_uuid(),
                    'crm.customer_updated', CASE WHEN g %% 3 = 0 THEN 'back' ELSE 'front' END,
                    now() - (g || ' minutes')::interval, 'Bench entry ' || g, '', 'crm.view_account'
                FROM generate_series(1, %s) g
                """,
                [BIG_CUSTOMER_ENTRIES, first, first, last, first, TIMELINE_ENTRIES],
            )
            # As autovacuum would soon after a bulk load: statistics, and the trigram indexes' pending lists merged.
            cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM sales_opportunity WHERE name LIKE 'Bench deal %%'")
        if cursor.fetchone()[0] < OPPORTUNITIES:
            print("seeding opportunities (once)…", flush=True)
            seed_opportunities(cursor, sales_id)
        cursor.execute("SELECT min(id) FROM parties_organization WHERE name LIKE 'Bench %%'")
        return cursor.fetchone()[0]


def seed_opportunities(cursor, sales_id: int) -> None:
    """50,000 deals on the bench accounts: the first 500 open across the active stages, the others won or lost."""
    cursor.execute("DELETE FROM sales_opportunity WHERE name LIKE 'Bench deal %%'")
    cursor.execute("SELECT array_agg(id ORDER BY position) FROM sales_pipelinestage WHERE is_active")
    stages = cursor.fetchone()[0]
    cursor.execute(
        """
        WITH accounts AS (
            SELECT a.id, row_number() OVER (ORDER BY a.id) - 1 AS number
            FROM crm_account a JOIN parties_organization o ON o.id = a.organization_id
            WHERE o.name LIKE 'Bench %%'
        ), total AS (SELECT count(*) AS n FROM accounts)
        INSERT INTO sales_opportunity (name, account_id, stage_id, amount, currency_id, expected_close, owner_id,
            status, lost_reason, closed_at, created_at, updated_at)
        SELECT 'Bench deal ' || g, accounts.id, (%s::bigint[])[1 + g %% cardinality(%s::bigint[])],
            (1000 + (g * 7919) %% 900000)::numeric(14, 2), 'SEK', current_date + (g %% 180 - 30), %s,
            CASE WHEN g <= %s THEN 'open' WHEN g %% 2 = 0 THEN 'won' ELSE 'lost' END,
            CASE WHEN g > %s AND g %% 2 = 1 THEN 'Chose a competitor' ELSE '' END,
            CASE WHEN g <= %s THEN NULL ELSE now() - (g || ' minutes')::interval END, now(), now()
        FROM generate_series(1, %s) g CROSS JOIN total
        JOIN accounts ON accounts.number = (g * 13) %% total.n
        """,
        [stages, stages, sales_id, OPEN_OPPORTUNITIES, OPEN_OPPORTUNITIES, OPEN_OPPORTUNITIES, OPPORTUNITIES],
    )
    cursor.execute("VACUUM ANALYZE sales_opportunity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--only", default="", help="run only the pages whose label contains this text")
    arguments = parser.parse_args()
    prepare_database(DATABASE, ENV)
    import django

    django.setup()
    from django.contrib.auth.models import Group

    from core.accounts.models import User
    from core.accounts.roles import sync_department_permissions

    sync_department_permissions()  # as after `migrate`, also when that found nothing to do
    sales, _created = User.objects.get_or_create(email="bench-sales@kontor.example", defaults={"kind": "staff"})
    sales.groups.add(Group.objects.get(name="Sales"))
    big_customer = seed(sales.pk)
    cookie = session_cookie(sales)
    pages = [
        ("account list, first page with a search", "/app/crm/accounts/?q=Company+123"),
        ("account list, first page", "/app/crm/accounts/"),
        ("organization list, search", "/app/organizations/?q=Company+4567"),
        ("pipeline board, 500 open opportunities", "/app/sales/pipeline/"),
        ("customer 360, 10,000 timeline entries", f"/app/customers/{big_customer}/"),
        ("floor: bare view, session sign-in", "/app/bench/hello/"),
        ("floor: staff layout, empty page", "/app/bench/empty/"),
    ]
    pages = [(label, path) for label, path in pages if arguments.only in label]
    with gunicorn(PORT, ENV) as server:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM crm_account), (SELECT count(*) FROM parties_person), "
                "(SELECT count(*) FROM sales_opportunity), (SELECT count(*) FROM sales_opportunity "
                "WHERE status = 'open'), (SELECT count(*) FROM customer360_timelineentry)"
            )
            accounts, people, opportunities, open_opportunities, entries = cursor.fetchone()
        print(
            f"bench/crm.py · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · gunicorn 2 sync workers, "
            f"DEBUG off · wrk 8 connections, {arguments.seconds} s per page"
        )
        print(
            f"rows: {accounts:,} accounts, {people:,} people, {opportunities:,} opportunities "
            f"({open_opportunities:,} open), {entries:,} timeline entries"
        )
        # req/s depend on whatever else runs on the machine; the CPU time the workers and PostgreSQL
        # spend per request (app ms, db ms) much less so: it is what to compare between runs.
        print(
            f"{'page':<42} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'errors':>6} "
            f"{'app ms':>7} {'db ms':>6}"
        )
        meter = CpuMeter(server.pid)
        for label, path in pages:
            queries = queries_per_request(sales, path)
            meter.start()
            requests, p50, p95, errors, _output = wrk(
                f"http://127.0.0.1:{PORT}{path}", arguments.seconds, cookie=cookie
            )
            cpu = meter.stop()
            app, db = (cpu[kind] / max(requests, 1) for kind in ("app", "db"))
            print(
                f"{label:<42} {requests / arguments.seconds:>7.0f} {p50:>7.1f} {p95:>7.1f} {queries:>7} {errors:>6} "
                f"{app:>7.1f} {db:>6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
