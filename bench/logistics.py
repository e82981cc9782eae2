"""Benchmark of logistics: reservations under 8 concurrent clients, and the stock pages with two million moves.

Seeds (once) 100,000 products in 3 warehouses with 2,000,000 stock moves (receipts and deliveries, the stock
table equal to their sum) into a separate database, plus 2,000 "hot" products with exactly 10 on hand in the
main warehouse and 40,000 deliveries waiting for them. Serves Kontor with gunicorn (2 sync workers, DEBUG off)
and drives each scenario with wrk (8 connections, 2 threads), printing req/s, p50/p95 ms, the SQL queries one
request makes and the CPU the gunicorn workers (app) and PostgreSQL backends (db) spent per request.

The reservation scenario POSTs /api/v1/logistics/deliveries/<id>/reserve/ for distinct waiting deliveries of
the hot products (each connection its own share), so eight clients fight over the same few units. Afterwards it
checks that nothing was oversold: no quant reserves more than it holds, every quant's reserved equals its
deliveries' reservations, and no hot product has more reserved than its 10 units; then it puts the deliveries
back as they were for the next run.

    .venv/bin/python bench/logistics.py [--seconds 15] [--only "stock"]
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _harness import ROOT, CpuMeter, environment, gunicorn, prepare_database, queries_per_request, session_cookie, wrk

DATABASE = os.environ.get("BENCH_LOGISTICS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor_bench_logistics")
REDIS = os.environ.get("BENCH_LOGISTICS_REDIS_URL", "redis://127.0.0.1:6379/13")
PORT = int(os.environ.get("BENCH_PORT", "8153"))
ENV = environment(DATABASE, REDIS, DJANGO_SETTINGS_MODULE="config.settings")
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

PRODUCTS = 100_000
WAREHOUSES = ["WH", "NORTH", "SOUTH"]
MOVES = 2_000_000
HOT_PRODUCTS = 2_000
HOT_ON_HAND = 10
WAITING_DELIVERIES = 40_000
USER_EMAIL = "bench-logistics@kontor.example"

RESERVE_SCRIPT = r"""
local token, ids, sent = nil, {}, 0
statuses = {}
local counter = 0
local threads = {}

setup = function(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  token = args[1]
  local count, position = tonumber(args[3]), 0
  for line in io.lines(args[2]) do
    if position % count == index then ids[#ids + 1] = line end
    position = position + 1
  end
end

request = function()
  sent = sent + 1
  local pk = ids[(sent - 1) % #ids + 1]
  return wrk.format("POST", "/api/v1/logistics/deliveries/" .. pk .. "/reserve/", {
    Authorization = "Token " .. token, ["Content-Type"] = "application/json",
  }, "{}")
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

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


def tsv(*values) -> str:
    return "\t".join(r"\N" if value is None else str(value) for value in values)


def copy(cursor, table: str, columns: str, rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                stream.write("\n".join(batch) + "\n")
                count += len(batch)
                batch = []
        if batch:
            stream.write("\n".join(batch) + "\n")
            count += len(batch)
    return count


def seed() -> float | None:
    """Products, warehouses, moves and the stock table (once), in one transaction with COPY."""
    from django.db import connection, transaction

    from backoffice.logistics.models import Location, StockMove, Warehouse
    from core.catalog.models import TaxRate, Unit
    from core.parties.models import Organization

    if StockMove.objects.filter(reference="BENCH").exists():
        return None
    started = time.monotonic()
    rng = random.Random(7)
    with transaction.atomic(), connection.cursor() as cursor:
        unit = Unit.objects.order_by("pk").first()
        tax = TaxRate.objects.filter(rate=25).first() or TaxRate.objects.order_by("pk").first()
        supplier = Organization.objects.create(name="Bench Supplier AB")
        customer = Organization.objects.create(name="Bench Customer AB")
        locations = {}
        for code in WAREHOUSES:
            warehouse, _created = Warehouse.objects.get_or_create(code=code, defaults={"name": f"Bench {code}"})
            locations[code] = Location.objects.get_or_create(
                warehouse=warehouse, code="STOCK", defaults={"name": "Stock", "kind": "internal"}
            )[0].pk
        warehouse_of = dict(Location.objects.filter(pk__in=locations.values()).values_list("pk", "warehouse_id"))
        suppliers = Location.objects.get(warehouse__isnull=True, kind="supplier").pk
        customers = Location.objects.get(warehouse__isnull=True, kind="customer").pk
        cursor.execute("SELECT coalesce(max(id), 0) FROM catalog_product")
        first_product = cursor.fetchone()[0] + 1
        now = datetime.now(UTC)
        copy(
            cursor,
            "catalog_product",
            "id, sku, name, description, type, unit_id, list_price, currency_id, tax_rate_id, is_active, "
            "created_at, updated_at",
            (
                tsv(
                    first_product + n,
                    f"B{n:06d}",
                    f"Bench product {n}",
                    "",
                    "goods",
                    unit.pk,
                    "199.00",
                    "SEK",
                    tax.pk,
                    "t",
                    now.isoformat(),
                    now.isoformat(),
                )
                for n in range(PRODUCTS)
            ),
        )
        costs = {first_product + n: Decimal(20 + n % 300) for n in range(PRODUCTS)}
        copy(
            cursor,
            "logistics_stockproduct",
            "product_id, tracking, average_cost",
            (tsv(pk, "none", f"{cost:.4f}") for pk, cost in costs.items()),
        )
        # Moves: per product and warehouse a few receipts and deliveries that never take more than is there.
        pairs = [(pk, code) for pk in costs for code in WAREHOUSES]
        per_pair, extra = divmod(MOVES, len(pairs))
        start = now - timedelta(days=730)
        quants: dict[tuple[int, int], int] = {}
        hot = set(range(first_product, first_product + HOT_PRODUCTS))

        def moves():
            move_id = 0
            for index, (product, code) in enumerate(pairs):
                location = locations[code]
                count = per_pair + (1 if index < extra else 0)
                on_hand = 0
                for step in range(count):
                    move_id += 1
                    when = (start + timedelta(minutes=rng.randrange(730 * 24 * 60))).isoformat()
                    cost = costs[product]
                    hot_pair = product in hot and code == "WH"
                    receipt = step == 0 or hot_pair or on_hand < 5 or rng.random() < 0.5
                    if hot_pair:
                        quantity = HOT_ON_HAND if step == 0 else 0
                        if not quantity:
                            # The hot products' main stock is exactly 10: the rest of their moves go elsewhere.
                            receipt, location_here = True, locations["NORTH"]
                            quantity = 1
                        else:
                            location_here = location
                    else:
                        location_here = location
                        quantity = rng.randint(5, 40) if receipt else rng.randint(1, max(1, on_hand // 2))
                    if location_here == location:
                        on_hand += quantity if receipt else -quantity
                    key = (product, location_here)
                    quants[key] = quants.get(key, 0) + (quantity if receipt else -quantity)
                    yield tsv(
                        move_id,
                        "receipt" if receipt else "delivery",
                        product,
                        None,
                        f"{quantity}.000",
                        suppliers if receipt else location_here,
                        location_here if receipt else customers,
                        f"{cost:.4f}",
                        f"{cost * quantity:.2f}",
                        "BENCH",
                        "",
                        supplier.pk if receipt else customer.pk,
                        None,
                        None,
                        when,
                    )

        moved = copy(
            cursor,
            "logistics_stockmove",
            "id, kind, product_id, lot_id, quantity, from_location_id, to_location_id, unit_cost, value, reference, "
            "reason, partner_id, delivery_line_id, created_by_id, occurred_at",
            moves(),
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('logistics_stockmove', 'id'), %s)", [moved])
        copy(
            cursor,
            "logistics_stockquant",
            "product_id, location_id, warehouse_id, lot_id, quantity, reserved",
            (
                tsv(product, location, warehouse_of[location], None, f"{quantity}.000", "0.000")
                for (product, location), quantity in quants.items()
            ),
        )
        # Deliveries waiting for the hot products: 1–3 units each, none reserved yet.
        cursor.execute("SELECT coalesce(max(id), 0) FROM logistics_deliveryorder")
        first_delivery = cursor.fetchone()[0] + 1
        warehouse_id = Warehouse.objects.get(code="WH").pk
        copy(
            cursor,
            "logistics_deliveryorder",
            "id, number, warehouse_id, organization_id, customer_name, delivery_address, order_id, order_number, "
            "source_event, backorder_of_id, state, carrier, tracking_number, created_at",
            (
                tsv(
                    first_delivery + n,
                    900_000 + n,
                    warehouse_id,
                    customer.pk,
                    "Bench Customer AB",
                    None,
                    None,
                    f"BENCH-{n}",
                    None,
                    None,
                    "waiting",
                    "",
                    "",
                    now.isoformat(),
                )
                for n in range(WAITING_DELIVERIES)
            ),
        )
        copy(
            cursor,
            "logistics_deliveryline",
            "delivery_id, position, product_id, description, order_line_id, quantity, reserved, shipped",
            (
                tsv(
                    first_delivery + n,
                    1,
                    first_product + rng.randrange(HOT_PRODUCTS),
                    "Bench",
                    None,
                    f"{rng.randint(1, 3)}.000",
                    "0.000",
                    "0.000",
                )
                for n in range(WAITING_DELIVERIES)
            ),
        )
        cursor.execute("SELECT setval('logistics_delivery_number_seq', %s)", [900_000 + WAITING_DELIVERIES])
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE logistics_stockmove, logistics_stockquant, logistics_deliveryorder, "
            "logistics_deliveryline, catalog_product"
        )
    return time.monotonic() - started


def settle() -> None:
    """Wait until the server has finished the requests wrk left in flight (they still hold row locks)."""
    from django.db import connection

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.1)


def put_back() -> None:
    """Undo what the reservation scenario did: the bench's deliveries wait again, the hot stock is free."""
    from django.db import connection, transaction

    settle()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE logistics_stockquant q SET reserved = 0 FROM logistics_reservation r WHERE r.quant_id = q.id"
        )
        cursor.execute(
            "DELETE FROM logistics_reservation WHERE line_id IN (SELECT l.id FROM logistics_deliveryline l "
            "JOIN logistics_deliveryorder d ON d.id = l.delivery_id WHERE d.order_number LIKE 'BENCH-%%')"
        )
        # Only the rows the run changed: rewriting all 40,000 deliveries each time left the table many times its
        # size in dead rows, which slowed every later scan of it (the deliveries board went from 46 to 7 req/s).
        cursor.execute(
            "UPDATE logistics_deliveryline SET reserved = 0 WHERE reserved <> 0 AND delivery_id IN "
            "(SELECT id FROM logistics_deliveryorder WHERE order_number LIKE 'BENCH-%%')"
        )
        cursor.execute(
            "UPDATE logistics_deliveryorder SET state = 'waiting' WHERE order_number LIKE 'BENCH-%%' "
            "AND state <> 'waiting'"
        )
    with connection.cursor() as cursor:  # what autovacuum would do after such a burst, before the next scenario
        for table in ("logistics_deliveryorder", "logistics_deliveryline", "logistics_reservation"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def oversell_check() -> str:
    """Nothing reserved beyond what is there, and every reserved unit held by a delivery."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM logistics_stockquant WHERE reserved > quantity OR quantity < 0")
        over = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM logistics_stockquant q LEFT JOIN (SELECT quant_id, sum(quantity) s "
            "FROM logistics_reservation GROUP BY 1) r ON r.quant_id = q.id WHERE q.reserved <> coalesce(r.s, 0)"
        )
        unexplained = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(sum(reserved), 0), count(*) FILTER (WHERE reserved = quantity) FROM logistics_stockquant "
            "WHERE reserved > 0"
        )
        reserved, sold_out = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM logistics_deliveryorder WHERE order_number LIKE 'BENCH-%%' AND state = 'ready'"
        )
        ready = cursor.fetchone()[0]
    verdict = "no oversell" if over == 0 and unexplained == 0 else "OVERSOLD"
    return (
        f"after the run: {verdict} · quants reserving more than on hand: {over} · quants whose reserved differs "
        f"from their reservations: {unexplained} · units reserved: {reserved} · quants reserved to the last unit: "
        f"{sold_out} · deliveries now ready: {ready}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--only", default="", help="run only the scenarios whose label contains this text")
    arguments = parser.parse_args()
    prepare_database(DATABASE, ENV)
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from core.accounts.models import User
    from core.accounts.roles import sync_department_permissions

    sync_department_permissions()
    user, _created = User.objects.get_or_create(email=USER_EMAIL, defaults={"kind": "staff", "full_name": "Bench"})
    user.groups.add(Group.objects.get(name="Logistics"))
    token = Token.objects.get_or_create(user=user)[0].key
    seed_seconds = seed()
    put_back()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM logistics_stockmove), (SELECT count(*) FROM logistics_stockquant), "
            "(SELECT count(*) FROM catalog_product), (SELECT count(*) FROM logistics_warehouse)"
        )
        moves, quants, products, warehouses = cursor.fetchone()
        cursor.execute(
            "SELECT id FROM logistics_deliveryorder WHERE order_number LIKE 'BENCH-%%' AND state = 'waiting' "
            "ORDER BY id"
        )
        waiting = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM logistics_warehouse WHERE code = 'NORTH'")
        north = cursor.fetchone()[0]
    scenarios = [
        ("stock overview, first page", "/app/logistics/stock/", "page", 200, 10),
        ("stock overview, one warehouse", f"/app/logistics/stock/?warehouse={north}", "page", 200, 10),
        ("stock overview, search", "/app/logistics/stock/?q=B0123", "page", 200, 10),
        ("stock API, first page", "/api/v1/logistics/stock/", "api", None, None),
        ("move history, first page", "/app/logistics/moves/", "page", None, None),
        ("deliveries board", "/app/logistics/deliveries/", "page", None, None),
        ("reserve deliveries, 8 concurrent clients", "", "reserve", 200, None),
    ]
    scenarios = [scenario for scenario in scenarios if arguments.only in scenario[0]]
    cookie = session_cookie(user)
    with gunicorn(PORT, ENV) as server:
        print(
            f"bench/logistics.py · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · gunicorn 2 sync "
            f"workers, DEBUG off · wrk 8 connections, 2 threads, {arguments.seconds} s per scenario"
        )
        print(
            f"rows: {products:,} products, {warehouses} warehouses, {moves:,} stock moves, {quants:,} stock rows, "
            f"{len(waiting):,} deliveries waiting for {HOT_PRODUCTS:,} products with {HOT_ON_HAND} each · seed: "
            + (f"{seed_seconds:.0f} s" if seed_seconds is not None else "reused")
        )
        print(
            f"{'scenario':<42} {'req/s':>6} {'target':>7} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} "
            f"{'errors':>6} {'app ms':>7} {'db ms':>6}  met"
        )
        meter = CpuMeter(server.pid)
        checks = []
        for label, path, who, target, most_queries in scenarios:
            if who == "reserve":
                with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as file:
                    file.write("\n".join(str(pk) for pk in waiting) + "\n")
                queries = "—"
                meter.start()
                requests, p50, p95, errors, output = wrk(
                    f"http://127.0.0.1:{PORT}/",
                    arguments.seconds,
                    script=RESERVE_SCRIPT,
                    arguments=(token, file.name, "2"),
                )
                cpu = meter.stop()
                os.unlink(file.name)
                settle()
                statuses = {}
                for line in output.splitlines():
                    if line.startswith("STATUS "):
                        _word, status, count = line.split()
                        statuses[int(status)] = int(count)
                done = statuses.get(200, 0)
                errors = sum(count for status, count in statuses.items() if status != 200) + errors
                rate = done / arguments.seconds
                checks.append(oversell_check() + f" · responses by status: {dict(sorted(statuses.items()))}")
                met = rate >= target and "no oversell" in checks[-1]
                put_back()
            else:
                queries = queries_per_request(user, path) if who == "page" else "—"
                headers = (f"Cookie: {cookie}",) if who == "page" else (f"Authorization: Token {token}",)
                meter.start()
                requests, p50, p95, errors, _output = wrk(
                    f"http://127.0.0.1:{PORT}{path}", arguments.seconds, headers=headers
                )
                cpu = meter.stop()
                done = requests
                rate = requests / arguments.seconds
                met = None
                if target is not None:
                    met = rate >= target and (most_queries is None or queries <= most_queries) and errors == 0
            app, db = (cpu[key] / max(done, 1) for key in ("app", "db"))
            goal = "—" if target is None else f"≥{target}/s"
            print(
                f"{label:<42} {rate:>6.1f} {goal:>7} {p50:>7.1f} {p95:>7.1f} {queries!s:>7} {errors:>6} "
                f"{app:>7.1f} {db:>6.1f}  {'' if met is None else 'yes' if met else 'NO'}",
                flush=True,
            )
        for check in checks:
            print(check)


if __name__ == "__main__":
    main()
