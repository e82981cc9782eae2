"""Benchmark of customer service: the portal's new-ticket form and submission, the agents' pages, a customer's list.

Seeds (once) 5,000 customer organizations with 15,000 people (1,000 of them with portal logins), five queues
with ten categories, an SLA policy per priority on a Mon–Fri calendar, 100,000 tickets over a bit more than a
year (about 3,000 of them still active) and 250,000 messages into a separate database, serves Kontor with
gunicorn (2 sync workers, DEBUG off) and drives each scenario with wrk (8 connections, 15 s), printing req/s,
p50/p95 ms, the SQL queries one request makes, the CPU time the gunicorn workers (app) and the PostgreSQL
backends (db) spent per request, and each target with whether it is met.

The submission scenario posts the portal's new-ticket form (wrk fetches the form and its CSRF token first) and
counts only redirects (302) as tickets; afterwards it checks that every new ticket committed its message, its
audit row and its service.ticket_created outbox event, then deletes what it created. The acknowledgement mail
and the bus relay are queued to the bench Redis database (no worker runs; the queue is emptied afterwards).

    .venv/bin/python bench/service.py [--seconds 15] [--only "portal"]
"""

import argparse
import os
import sys
import time

from _harness import ROOT, CpuMeter, environment, gunicorn, prepare_database, queries_per_request, session_cookie, wrk

DATABASE = os.environ.get("BENCH_SERVICE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor_bench_service")
REDIS = os.environ.get("BENCH_SERVICE_REDIS_URL", "redis://127.0.0.1:6379/11")
PORT = int(os.environ.get("BENCH_PORT", "8151"))
ENV = environment(DATABASE, REDIS, DJANGO_SETTINGS_MODULE="config.settings")
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

ORGANIZATIONS = 5_000
PEOPLE_PER_ORGANIZATION = 3
PORTAL_ORGANIZATIONS = 500  # their first two people have portal logins: 1,000 customer users
TICKETS = 100_000
ACTIVE_TICKETS = 3_000  # the latest ones; the others are resolved or closed
# Messages per ticket by ticket number modulo 10: 2.5 on average, 250,000 in all; every tenth ticket has five.
MESSAGES_PER_TICKET = [1, 1, 2, 2, 2, 3, 3, 3, 3, 5]
MESSAGES = TICKETS * sum(MESSAGES_PER_TICKET) // len(MESSAGES_PER_TICKET)
AGENTS = 10
QUEUES = {
    "Billing": ["Invoices and payments", "Contracts and prices"],
    "Technical support": ["Portal and sign-in", "Integrations and API"],
    "Orders and delivery": ["Order status", "Delivery problems"],
    "Returns": ["Returns and refunds", "Damaged goods"],
    "General": ["Other questions", "Feedback"],
}
# Priority: (first response, resolution) in business minutes.
SLA_TARGETS = {1: (480, 2400), 2: (240, 1440), 3: (60, 480), 4: (30, 240)}

# wrk's POST scenario: each wrk thread GETs the form once (the CSRF token in the page, the csrftoken cookie),
# then posts new tickets with it; counts responses by status. Arguments: the session cookie, category ids.
SUBMIT_SCRIPT = r"""
local session, categories, token, csrf_cookie, sent = nil, {}, nil, nil, 0
statuses = {}  -- global: done() reads it from each thread

init = function(args)
  session = args[1]
  for i = 2, #args do categories[#categories + 1] = args[i] end
end

request = function()
  if token == nil then
    return wrk.format("GET", nil, {Cookie = session})
  end
  sent = sent + 1
  local body = "csrfmiddlewaretoken=" .. token .. "&subject=Bench+load+request+" .. sent ..
    "&description=The+delivery+of+order+" .. sent .. "+arrived+with+a+damaged+box.+Please+advise." ..
    "&category=" .. categories[sent % #categories + 1] .. "&priority=2"
  return wrk.format("POST", nil, {
    Cookie = session .. "; csrftoken=" .. csrf_cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if token == nil and status == 200 then
    local cookie = (headers["Set-Cookie"] or ""):match("csrftoken=([^;]+)")
    local value = body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
    if cookie and value then csrf_cookie, token = cookie, value end
  end
end

local threads = {}
setup = function(thread) table.insert(threads, thread) end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("STATUS %d %d\n", status, n)) end
  io.write(string.format("BENCH %d %.3f %.3f %d\n", summary.requests, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
"""


# --- seeding ---------------------------------------------------------------------------------------------------


def seed_reference() -> dict:
    """Calendar, SLA policies, queues, categories, agents (ORM, few rows); the bench agent works every queue."""
    from django.contrib.auth.models import Group

    from core.accounts.models import User
    from frontoffice.service.models import BusinessCalendar, Category, Queue, SlaPolicy, WorkingHours

    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Office hours", defaults={"time_zone": "Europe/Stockholm", "is_default": True}
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, opens="08:00", closes="17:00") for day in range(5)
        )
    policies = {}
    for priority, (response, resolution) in SLA_TARGETS.items():
        policies[priority], _created = SlaPolicy.objects.get_or_create(
            organization=None,
            priority=priority,
            is_active=True,
            defaults={
                "name": f"Standard P{priority}",
                "calendar": calendar,
                "first_response_minutes": response,
                "resolution_minutes": resolution,
            },
        )
    group = Group.objects.get(name="Customer Service")
    agents = []
    for index in range(AGENTS):
        email = "bench-agent@kontor.example" if index == 0 else f"bench-agent-{index}@kontor.example"
        agent, _created = User.objects.get_or_create(
            email=email, defaults={"kind": "staff", "full_name": f"Agent{index} Bench"}
        )
        agent.groups.add(group)
        agents.append(agent)
    categories = []
    for index, (name, category_names) in enumerate(QUEUES.items()):
        queue, _created = Queue.objects.get_or_create(
            name=name,
            defaults={"email": f"{name.split()[0].lower()}@support.example", "is_default": name == "General"},
        )
        # The bench agent is in every queue; the others in two or three each.
        queue.members.add(agents[0], *[agent for number, agent in enumerate(agents[1:]) if number % 5 != index])
        for category_name in category_names:
            category, _created = Category.objects.get_or_create(name=category_name, defaults={"queue": queue})
            categories.append(category)
    return {"agents": agents, "categories": categories, "policies": policies}


def seed_customers(cursor) -> None:
    """5,000 organizations, three people each, portal logins for the first two people of the first 500."""
    cursor.execute(
        """
        INSERT INTO parties_organization (name, org_number, vat_number, roles, email, phone, website, country,
            portal_visibility, is_active, notes, created_at, updated_at)
        SELECT 'Bench Customer ' || g || ' AB', lpad(g::text, 6, '7') || '-' || lpad((g %% 10000)::text, 4, '0'),
            '', '{customer}', 'info' || g || '@customer.example', '', '', 'SE', 'organization', true, '', now(), now()
        FROM generate_series(1, %s) g
        """,
        [ORGANIZATIONS],
    )
    cursor.execute(
        """
        INSERT INTO parties_person (first_name, last_name, email, phone, job_title, organization_id, roles,
            is_active, notes, created_at, updated_at)
        SELECT 'Person' || n, 'Customer' || o.id, 'p' || n || '.' || o.id || '@customer.example', '', 'Buyer', o.id,
            '{customer}', true, '', now(), now()
        FROM parties_organization o, generate_series(1, %s) n
        WHERE o.name LIKE 'Bench Customer %%'
        ORDER BY o.id, n
        """,
        [PEOPLE_PER_ORGANIZATION],
    )
    cursor.execute(
        """
        WITH portal AS (
            SELECT p.id, p.email, p.first_name || ' ' || p.last_name AS full_name
            FROM parties_person p
            WHERE p.organization_id IN (
                SELECT id FROM parties_organization WHERE name LIKE 'Bench Customer %%' ORDER BY id LIMIT %s
            ) AND p.first_name IN ('Person1', 'Person2')
        ), users AS (
            INSERT INTO accounts_user (password, is_superuser, email, full_name, kind, language, is_active, is_staff,
                date_joined)
            SELECT '!bench', false, email, full_name, 'customer', '', true, false, now() FROM portal
            RETURNING id, email
        )
        UPDATE parties_person p SET user_id = users.id FROM users WHERE users.email = p.email
        """,
        [PORTAL_ORGANIZATIONS],
    )


def seed_tickets(cursor, reference: dict) -> None:
    """100,000 tickets spread over the queues, priorities and 417 days, and their 250,000 messages."""
    from frontoffice.service.models import Ticket

    agents = [agent.pk for agent in reference["agents"]]
    categories = [category.pk for category in reference["categories"]]
    category_queues = [category.queue_id for category in reference["categories"]]
    policies = [reference["policies"][priority].pk for priority in sorted(SLA_TARGETS)]
    responses = [SLA_TARGETS[priority][0] for priority in sorted(SLA_TARGETS)]
    resolutions = [SLA_TARGETS[priority][1] for priority in sorted(SLA_TARGETS)]
    cursor.execute(f"TRUNCATE {Ticket._meta.db_table} CASCADE")
    cursor.execute(
        """
        SELECT array_agg(p.id ORDER BY o.id, p.id), array_agg(o.id ORDER BY o.id, p.id)
        FROM parties_person p JOIN parties_organization o ON o.id = p.organization_id
        WHERE o.name LIKE 'Bench Customer %%'
        """
    )
    people, people_organizations = cursor.fetchone()
    # One row per ticket number g = 1..TICKETS, g = TICKETS the latest; ticket g belongs to organization
    # (g - 1) mod 5,000, so each customer has 20 tickets spread over the whole period.
    cursor.execute(
        """
        INSERT INTO service_ticket (subject, description, priority, status, tags, source, created_at, updated_at,
            last_activity_at, first_response_at, resolved_at, closed_at, first_response_due_at, resolution_due_at,
            sla_paused_at, first_response_breached_at, resolution_breached_at, csat_rating, csat_comment, csat_at,
            thread_message_id, guest_secret, assignee_id, category_id, merged_into_id, organization_id, queue_id,
            requester_id, sla_policy_id, sla_paused_total)
        SELECT subject, description, priority, status, tags, source, created, now(),
            LEAST(now(), COALESCE(closed, resolved, responded, created)), responded, resolved, closed,
            created + response_minutes * interval '1 minute', created + resolution_minutes * interval '1 minute',
            CASE WHEN status LIKE 'pending%%' THEN LEAST(now(), COALESCE(responded, created)) END,
            CASE WHEN g %% 23 = 0 THEN created + response_minutes * interval '1 minute' END,
            CASE WHEN g %% 31 = 0 THEN created + resolution_minutes * interval '1 minute' END,
            CASE WHEN status = 'closed' AND g %% 4 = 0 THEN 1 + g %% 5 END, '',
            CASE WHEN status = 'closed' AND g %% 4 = 0 THEN closed END,
            '<ticket.' || md5(g::text) || '@support.example>', md5(random()::text),
            CASE WHEN status = 'new' OR g %% 9 = 0 THEN NULL ELSE (%(agents)s::bigint[])[1 + g %% %(n_agents)s] END,
            (%(categories)s::bigint[])[1 + category], NULL, (%(people_organizations)s::bigint[])[1 + person],
            (%(category_queues)s::bigint[])[1 + category], (%(people)s::bigint[])[1 + person],
            (%(policies)s::bigint[])[priority], interval '0'
        FROM (
            SELECT *,
                CASE WHEN status = 'new' THEN NULL ELSE created + (20 + g %% 240) * interval '1 minute' END
                    AS responded,
                CASE WHEN status IN ('resolved', 'closed') THEN created + (2 + g %% 72) * interval '1 hour' END
                    AS resolved,
                CASE WHEN status = 'closed' THEN created + (74 + g %% 72) * interval '1 hour' END AS closed,
                (%(responses)s::int[])[priority] AS response_minutes,
                (%(resolutions)s::int[])[priority] AS resolution_minutes
            FROM (
                SELECT g,
                    'Bench ' || (ARRAY['Invoice shows the wrong address', 'Cannot sign in to the portal',
                        'Order has not arrived', 'Refund for a returned item', 'Question about the price list',
                        'API returns an error', 'Damaged goods on delivery', 'Change of contact person'])[1 + g %% 8]
                        || ' (' || g || ')' AS subject,
                    'Hello, we have a problem with our account and would like your help. It started last week '
                        || 'and happens every time we try again. Reference ' || g || '. Kind regards' AS description,
                    CASE WHEN g %% 20 = 0 THEN 4 WHEN g %% 5 = 1 THEN 3 WHEN g %% 3 = 0 THEN 1 ELSE 2 END AS priority,
                    CASE WHEN g <= %(tickets)s - %(active)s THEN
                        CASE WHEN g %% 50 = 0 THEN 'resolved' ELSE 'closed' END
                    ELSE (ARRAY['new', 'open', 'open', 'pending-customer', 'pending-third-party', 'resolved'])
                        [1 + g %% 6] END AS status,
                    CASE g %% 4 WHEN 0 THEN '{vip}'::varchar[] WHEN 1 THEN '{invoice,urgent}'::varchar[]
                        ELSE '{}'::varchar[] END AS tags,
                    (ARRAY['email', 'phone', 'portal', 'portal', 'api'])[1 + g %% 5] AS source,
                    now() - (%(tickets)s - g) * interval '6 minutes' - interval '3 minutes' AS created,
                    (g * 7) %% 10 AS category,
                    ((g - 1) %% %(organizations)s) * %(per_organization)s
                        + ((g - 1) / %(organizations)s) %% %(per_organization)s AS person
                FROM generate_series(1, %(tickets)s) g
            ) base
        ) ticket
        ORDER BY g
        """,
        {
            "agents": agents,
            "n_agents": len(agents),
            "categories": categories,
            "category_queues": category_queues,
            "people": people,
            "people_organizations": people_organizations,
            "policies": policies,
            "responses": responses,
            "resolutions": resolutions,
            "tickets": TICKETS,
            "active": ACTIVE_TICKETS,
            "organizations": ORGANIZATIONS,
            "per_organization": PEOPLE_PER_ORGANIZATION,
        },
    )
    # Message i of a ticket: 1 the customer's first (the description), even ones the agent's answers, 3 an
    # internal note on odd tickets (else the customer again), 5 the agent's last answer.
    cursor.execute(
        """
        INSERT INTO service_message (ticket_id, kind, body, author_user_id, author_person_id, from_customer, source,
            email_message_id, created_at)
        SELECT t.id, CASE WHEN i = 3 AND t.g %% 2 = 1 THEN 'note' ELSE 'reply' END,
            CASE WHEN i = 1 THEN t.description
                WHEN i %% 2 = 0 OR i = 5 THEN 'Thank you for your message. We have looked into it and '
                    || 'changed the settings on our side; please try again and tell us how it went.'
                WHEN t.g %% 2 = 1 THEN 'Checked the order history: the customer is right, credit note to follow.'
                ELSE 'It works now, thank you. One more question: can we get the invoice as PDF too?' END,
            CASE WHEN i = 1 OR (i = 3 AND t.g %% 2 = 0) THEN NULL
                ELSE COALESCE(t.assignee_id, (%(agents)s::bigint[])[1]) END,
            CASE WHEN i = 1 OR (i = 3 AND t.g %% 2 = 0) THEN t.requester_id END,
            i = 1 OR (i = 3 AND t.g %% 2 = 0), t.source, '',
            LEAST(now(), t.created_at + (i - 1) * interval '47 minutes')
        FROM (SELECT id, requester_id, assignee_id, description, source, created_at,
                row_number() OVER (ORDER BY id) AS g FROM service_ticket) t
        CROSS JOIN LATERAL generate_series(1, (%(per_ticket)s::int[])[1 + t.g %% 10]) i
        ORDER BY t.id, i
        """,
        {"agents": agents, "per_ticket": MESSAGES_PER_TICKET},
    )


def seed() -> tuple[dict, float | None]:
    """Seed what is missing (in one transaction each), then VACUUM ANALYZE; returns the reference rows and the
    seconds seeding took (None when everything was there)."""
    from django.db import connection, transaction

    started = time.monotonic()
    seeded = False
    with transaction.atomic():
        reference = seed_reference()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM parties_organization WHERE name LIKE 'Bench Customer %%'")
            if cursor.fetchone()[0] != ORGANIZATIONS:
                print("seeding customers (once)…", flush=True)
                seed_customers(cursor)
                seeded = True
            cursor.execute("SELECT (SELECT count(*) FROM service_ticket), (SELECT count(*) FROM service_message)")
            if cursor.fetchone() != (TICKETS, MESSAGES):
                print("seeding tickets and messages (once)…", flush=True)
                seed_tickets(cursor, reference)
                seeded = True
    if not seeded:
        return reference, None
    with connection.cursor() as cursor:
        # As autovacuum would soon after a bulk load: statistics, visibility map, trigram pending lists merged.
        cursor.execute("VACUUM ANALYZE")
    return reference, time.monotonic() - started


# --- the submission scenario ---------------------------------------------------------------------------------


def high_water() -> dict[str, int]:
    from django.db.models import Max

    from core.audit.models import AuditEntry
    from frontoffice.service.models import Message, Ticket
    from integration.bus.models import OutboxEvent

    return {
        model.__name__: model.objects.aggregate(top=Max("pk"))["top"] or 0
        for model in (Ticket, Message, AuditEntry, OutboxEvent)
    }


def settle() -> None:
    """Wait until requests still in flight when wrk stopped have committed (no new ticket for a second)."""
    from frontoffice.service.models import Ticket

    last = None
    while (count := Ticket.objects.count()) != last:
        last = count
        time.sleep(1)


def created_since(before: dict[str, int]) -> dict[str, int]:
    """What the submissions committed after `before`: tickets, their messages, audit rows and outbox events."""
    from django.contrib.contenttypes.models import ContentType

    from core.audit.models import AuditEntry
    from frontoffice.service.models import Message, Ticket
    from integration.bus.models import OutboxEvent

    return {
        "tickets": Ticket.objects.filter(pk__gt=before["Ticket"]).count(),
        "messages": Message.objects.filter(pk__gt=before["Message"], ticket_id__gt=before["Ticket"]).count(),
        "audit rows": AuditEntry.objects.filter(
            pk__gt=before["AuditEntry"],
            content_type=ContentType.objects.get_for_model(Ticket),
            action=AuditEntry.Action.CREATE,
        ).count(),
        "outbox events": OutboxEvent.objects.filter(
            pk__gt=before["OutboxEvent"], name="service.ticket_created"
        ).count(),
    }


def remove_since(before: dict[str, int]) -> None:
    """Delete what the submissions created, so the next run starts from the seeded rows; empty the broker queue."""
    from django.db import connection

    from core.audit.models import AuditEntry
    from core.health import redis_client
    from frontoffice.service.models import Message, Ticket
    from integration.bus.models import OutboxEvent

    Message.objects.filter(ticket_id__gt=before["Ticket"]).delete()
    Ticket.objects.filter(pk__gt=before["Ticket"]).delete()
    AuditEntry.objects.filter(pk__gt=before["AuditEntry"]).delete()
    OutboxEvent.objects.filter(pk__gt=before["OutboxEvent"]).delete()
    redis_client().delete("celery")  # the mail and relay tasks no worker took (the bench's own Redis database)
    with connection.cursor() as cursor:  # the deleted rows' dead index entries would slow the next run's lists
        cursor.execute("VACUUM ANALYZE service_ticket, service_message, audit_auditentry, bus_outboxevent")


def submission_queries(customer, category_id: int) -> int:
    """The SQL queries one accepted POST of the new-ticket form makes (the ticket it opens is removed later)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(customer)
    client.get("/portal/tickets/new/")
    data = {"subject": "Bench query count", "description": "Counting queries.", "category": category_id}
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/portal/tickets/new/", data)
    assert response.status_code == 302, (response.status_code, response.content[:2000])
    return len(captured)


# --- main ------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--only", default="", help="run only the scenarios whose label contains this text")
    arguments = parser.parse_args()
    prepare_database(DATABASE, ENV)
    import django

    django.setup()
    from django.db import connection

    from core.accounts.models import User
    from core.accounts.roles import sync_department_permissions
    from frontoffice.service.models import Ticket

    sync_department_permissions()  # as after `migrate`, also when that found nothing to do
    reference, seed_seconds = seed()
    agent = reference["agents"][0]
    category_ids = [str(category.pk) for category in reference["categories"]]
    # The portal customer: the first person of the first bench organization (20 tickets), with a login.
    customer = User.objects.get(
        kind=User.Kind.CUSTOMER, person__organization__name="Bench Customer 1 AB", person__first_name="Person1"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.number FROM service_ticket t
            WHERE t.status = 'open' AND (SELECT count(*) FROM service_message m WHERE m.ticket_id = t.id) = 5
            ORDER BY t.id DESC LIMIT 1
            """
        )
        detail_number = cursor.fetchone()[0]
    customer_tickets = Ticket.objects.filter(organization__name="Bench Customer 1 AB").count()
    agent_cookie, customer_cookie = session_cookie(agent), session_cookie(customer)
    # label, path, who, target req/s, most queries
    scenarios = [
        ("portal new-ticket form", "/portal/tickets/new/", "customer", 450, None),
        ("agent ticket list, first page", "/app/service/tickets/", "agent", 250, 10),
        ("ticket page, 5 messages", f"/app/service/tickets/{detail_number}/", "agent", 250, 12),
        ("support dashboard", "/app/service/", "agent", 100, None),
        (f"portal: customer's tickets ({customer_tickets})", "/portal/tickets/", "customer", 250, None),
        ("portal ticket submission (POST)", "/portal/tickets/new/", "submit", 300, None),
    ]
    scenarios = [scenario for scenario in scenarios if arguments.only in scenario[0]]
    with gunicorn(PORT, ENV) as server:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM parties_organization WHERE name LIKE 'Bench Customer %%'), "
                "(SELECT count(*) FROM parties_person), (SELECT count(*) FROM accounts_user WHERE kind = 'customer'), "
                "(SELECT count(*) FROM service_ticket), (SELECT count(*) FROM service_ticket "
                "WHERE status IN ('new', 'open', 'pending-customer', 'pending-third-party')), "
                "(SELECT count(*) FROM service_message), (SELECT count(*) FROM service_queue)"
            )
            organizations, people, portal_users, tickets, active, messages, queues = cursor.fetchone()
        print(
            f"bench/service.py · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · gunicorn 2 sync "
            f"workers, DEBUG off · wrk 8 connections, {arguments.seconds} s per scenario"
        )
        print(
            f"rows: {organizations:,} customers, {people:,} people ({portal_users:,} portal logins), {queues} queues, "
            f"{tickets:,} tickets ({active:,} active), {messages:,} messages · seed: "
            + (f"{seed_seconds:.0f} s" if seed_seconds is not None else "reused")
        )
        print(
            f"{'scenario':<38} {'req/s':>6} {'target':>6} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'max':>4} "
            f"{'errors':>6} {'app ms':>7} {'db ms':>6}  met"
        )
        meter = CpuMeter(server.pid)
        check = ""
        for label, path, who, target, most_queries in scenarios:
            url = f"http://127.0.0.1:{PORT}{path}"
            statuses: dict[int, int] = {}
            if who == "submit":
                before = high_water()
                try:
                    queries = submission_queries(customer, int(category_ids[0]))
                    meter.start()
                    requests, p50, p95, errors, output = wrk(
                        url, arguments.seconds, script=SUBMIT_SCRIPT, arguments=(customer_cookie, *category_ids)
                    )
                    cpu = meter.stop()
                    for line in output.splitlines():
                        if line.startswith("STATUS "):
                            _word, status, count = line.split()
                            statuses[int(status)] = int(count)
                    done = statuses.get(302, 0)
                    settle()
                    created = created_since(before)
                finally:
                    remove_since(before)
                errors = sum(count for status, count in statuses.items() if not 200 <= status < 400) + errors
                rate = done / arguments.seconds
                # Committed: the redirects wrk counted, the query count's own ticket, and requests still in
                # flight when wrk stopped (at most one per connection). Every ticket needs all four rows.
                consistent = len(set(created.values())) == 1 and done + 1 <= created["tickets"] <= done + 1 + 8
                check = (
                    f"submission check: {done:,} redirects by wrk (+1 query count, + those in flight at the end) → "
                    + ", ".join(f"{count:,} {name}" for name, count in created.items())
                    + (" committed: consistent" if consistent else " committed: MISMATCH")
                    + f" · responses by status: {dict(sorted(statuses.items()))} (200: the form, GET once per "
                    "connection before the token is known)"
                )
            else:
                user = agent if who == "agent" else customer
                queries = queries_per_request(user, path)
                meter.start()
                requests, p50, p95, errors, _output = wrk(
                    url, arguments.seconds, cookie=agent_cookie if who == "agent" else customer_cookie
                )
                cpu = meter.stop()
                done = requests
                rate = requests / arguments.seconds
            app, db = (cpu[kind] / max(done, 1) for kind in ("app", "db"))
            met = rate >= target and (most_queries is None or queries <= most_queries)
            print(
                f"{label:<38} {rate:>6.0f} {'≥' + str(target):>6} {p50:>7.1f} {p95:>7.1f} {queries:>7} "
                f"{most_queries or '':>4} {errors:>6} {app:>7.1f} {db:>6.1f}  {'yes' if met else 'NO'}",
                flush=True,
            )
        if check:
            print(check)


if __name__ == "__main__":
    main()
