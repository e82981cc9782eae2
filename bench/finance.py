"""Benchmark of finance: the reports over a ledger of 1,000,000 journal lines, the lists, and issuing invoices.

Seeds (once) 2,000 customers and 200 suppliers, two fiscal years (January 1 of last year to yesterday) and, in
one transaction with COPY, 100,000 issued invoices (98 % of those due paid, each payment booked and allocated),
20,000 approved supplier bills (most of them paid) and general entries (salaries, costs) up to exactly 1,000,000
posted journal lines in four journals, plus drafts to issue, into a separate database. Every posted entry gets
its number, its chain position and its real hash chained to the previous one (the same sha256 as
`services.entry_hash`), so `manage.py verify_ledger` holds on the seeded books; the rows go in in an order the
ledger's triggers accept (lines before their entry, invoice lines before their invoice: nothing is disabled).
Then VACUUM ANALYZE.

Serves Kontor with gunicorn (2 sync workers, DEBUG off) and drives each scenario with wrk, signed in as a Finance
staff user (session cookie for pages, API token for the API), printing req/s, p50/p95 ms, the SQL queries one
request makes, the CPU time the gunicorn workers (app) and the PostgreSQL backends (db) spent per request, and
each target with whether it is met. The reports run over the whole two years (all 1,000,000 lines) with ONE
connection: their p50/p95 is the time one report takes to answer (target: under 1 s). The lists run with 8
connections, like the other benchmarks.

The issuing scenario posts `/api/v1/finance/invoices/<id>/issue/` with an Idempotency-Key of its own per request,
with 4 connections on 4 wrk threads, each walking its own share of the drafts (target: at least 100 invoices/s);
only 200s count. Afterwards it checks that the numbers given are gapless, that the sales journal's chain continues
(positions, previous hashes, recomputed hashes) and that every new entry balances, prints that, and puts the books
back as seeded (the issued drafts become drafts again, their entries are removed with the ledger's guard triggers
off for that one transaction, the number series are reset, the keys' stored answers deleted). Mails and relays are
queued to the bench Redis database (no worker; emptied).

    .venv/bin/python bench/finance.py [--seconds 10] [--only "aged"] [--verify] [--workers 2]

--verify also runs the whole `verify_ledger` (about a minute on this machine); the seed always runs it once.
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

from _harness import (
    ROOT,
    WRK_SCRIPT,
    CpuMeter,
    environment,
    gunicorn,
    prepare_database,
    queries_per_request,
    session_cookie,
)

DATABASE = os.environ.get("BENCH_FINANCE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor_bench_finance")
REDIS = os.environ.get("BENCH_FINANCE_REDIS_URL", "redis://127.0.0.1:6379/12")
PORT = int(os.environ.get("BENCH_PORT", "8152"))
ENV = environment(DATABASE, REDIS, DJANGO_SETTINGS_MODULE="config.settings")
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

CUSTOMERS = 2_000
SUPPLIERS = 200
INVOICES = 100_000
BILLS = 20_000
LINES = 1_000_000
BIG_CUSTOMER_EVERY = 100  # every 100th invoice goes to customer 1 as well: a statement with ~2,000 lines
DRAFTS_PER_SECOND = 300  # drafts kept ready per second of the issuing scenario (more than it can issue here)
USER_EMAIL = "bench-finance@kontor.example"

# wrk's issuing scenario: every thread (one connection each) reads the draft ids from a file and takes every
# n-th one, so no two connections ever issue the same draft; every request carries its own Idempotency-Key;
# counts responses by status.
# Arguments: the API token, the ids file, the number of threads, a word that makes this run's keys its own.
ISSUE_SCRIPT = r"""
local token, ids, sent = nil, {}, 0
statuses = {}  -- global: done() reads it from each thread
local counter = 0
local threads = {}

setup = function(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  token, run = args[1], args[4]
  local count, position = tonumber(args[3]), 0
  for line in io.lines(args[2]) do
    if position % count == index then ids[#ids + 1] = line end
    position = position + 1
  end
end

request = function()
  sent = sent + 1
  local pk = ids[(sent - 1) % #ids + 1]  -- wraps only when the drafts run out: then 400s, counted as errors
  return wrk.format("POST", "/api/v1/finance/invoices/" .. pk .. "/issue/", {
    Authorization = "Token " .. token, ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. index .. "-" .. sent,  -- as a client that may retry sends it
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


def wrk(
    url: str,
    seconds: int,
    *,
    threads: int,
    connections: int,
    headers: tuple[str, ...] = (),
    script: str = WRK_SCRIPT,
    arguments: tuple[str, ...] = (),
) -> tuple[int, float, float, int, str]:
    """The harness's wrk with the threads and connections chosen (1 for a report's own time, 4 for issuing) and
    a timeout long enough for a slow report; returns requests, p50 ms, p95 ms, errors and wrk's whole output."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", file.name]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    if arguments:
        command += ["--", *arguments]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    finally:
        os.unlink(file.name)
    if result.returncode:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    requests, p50, p95, errors = re.search(r"BENCH (\d+) ([\d.]+) ([\d.]+) (\d+)", result.stdout).groups()
    return int(requests), float(p50), float(p95), int(errors), result.stdout


# --- seeding ---------------------------------------------------------------------------------------------------


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def tax_of(net_cents: int, rate: int) -> int:
    """VAT on a net, rounded half-up to the öre (invoicing.round_money on a positive amount)."""
    return (net_cents * rate + 50) // 100


def moment(day: date) -> str:
    return f"{day.isoformat()} 12:00:00+00"


def tsv(*values) -> str:
    return "\t".join(r"\N" if value is None else str(value) for value in values)


class Books:
    """Rows for COPY (tab-separated text per table) and the ledger's numbering and hash chains while they grow."""

    ENTRY_COLUMNS = (
        "id, journal_id, number, date, description, reference, state, created_at, posted_at, previous_hash, hash, "
        "chain_position, created_by_id, posted_by_id, reversal_of_id"
    )
    LINE_COLUMNS = (
        "id, entry_id, account_id, debit, credit, partner_id, description, currency, amount_currency, posted_on"
    )

    def __init__(self, cursor, journals: dict[str, int], accounts: dict[str, int]) -> None:
        self.journals, self.accounts = journals, accounts
        self.rows: dict[str, list[str]] = {}
        self.next_id: dict[str, int] = {}
        self.series: dict[tuple[str, int], int] = {}
        self.chains: dict[str, tuple[int, str]] = dict.fromkeys(journals, (0, ""))
        self.line_count = 0
        self.first_hash_checked = False
        for table in (
            "finance_journalentry",
            "finance_journalline",
            "finance_invoice",
            "finance_invoiceline",
            "finance_payment",
            "finance_paymentallocation",
            "finance_supplierbill",
            "finance_supplierbillline",
        ):
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            self.next_id[table] = cursor.fetchone()[0] + 1
            self.rows[table] = []

    def new_id(self, table: str) -> int:
        pk = self.next_id[table]
        self.next_id[table] = pk + 1
        return pk

    def add(self, table: str, *values) -> None:
        self.rows[table].append(tsv(*values))

    def number(self, key: str, year: int) -> int:
        last = self.series.get((key, year), 0) + 1
        self.series[key, year] = last
        return last

    def post(self, journal: str, day: date, description: str, reference: str, lines: list[tuple]) -> int:
        """A posted entry with its lines: (account code, debit cents, credit cents, partner id, text) each.
        Numbered and chained as services.entry_post does."""
        entry_id = self.new_id("finance_journalentry")
        number = f"{journal}-{day.year}-{self.number(f'journal:{journal}', day.year):05d}"
        position, previous_hash = self.chains[journal]
        parts = [previous_hash, journal, number, day.isoformat(), description, reference, ""]
        line_rows = []
        for code, debit, credit, partner, text in lines:
            line_id = self.new_id("finance_journalline")
            account_id = self.accounts[code]
            parts.append(f"{account_id}|{money(debit)}|{money(credit)}|{partner or ''}|{text}||")
            line_rows.append(
                (line_id, entry_id, account_id, money(debit), money(credit), partner, text, "", None, day.isoformat())
            )
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        if not self.first_hash_checked:
            self._check_hash(journal, number, day, description, reference, line_rows, previous_hash, digest)
        for row in line_rows:
            self.add("finance_journalline", *row)
        self.line_count += len(line_rows)
        self.chains[journal] = (position + 1, digest)
        self.add(
            "finance_journalentry",
            entry_id,
            self.journals[journal],
            number,
            day.isoformat(),
            description,
            reference,
            "posted",
            moment(day),
            moment(day),
            previous_hash,
            digest,
            position + 1,
            None,
            None,
            None,
        )
        return entry_id

    def _check_hash(self, journal, number, day, description, reference, line_rows, previous_hash, digest) -> None:
        """The first entry's hash, computed again by the application's own function: the same algorithm."""
        from decimal import Decimal
        from types import SimpleNamespace

        from backoffice.finance.services import entry_hash

        entry = SimpleNamespace(
            journal=SimpleNamespace(code=journal),
            number=number,
            date=day,
            description=description,
            reference=reference,
            reversal_of_id=None,
        )
        lines = [
            SimpleNamespace(
                pk=row[0],
                account_id=row[2],
                debit=Decimal(row[3]),
                credit=Decimal(row[4]),
                partner_id=row[5],
                description=row[6],
                currency="",
                amount_currency=None,
            )
            for row in line_rows
        ]
        assert entry_hash(entry, lines, previous_hash) == digest, "the bench's hash differs from entry_hash"
        self.first_hash_checked = True

    def copy(self, cursor, table: str, columns: str) -> int:
        rows = self.rows.pop(table)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for start in range(0, len(rows), 20_000):
                copy.write("\n".join(rows[start : start + 20_000]) + "\n")
        return len(rows)


def period() -> tuple[date, date]:
    """The seeded span: January 1 of last year to yesterday (two fiscal years, the second up to today)."""
    today = date.today()
    return date(today.year - 1, 1, 1), today - timedelta(days=1)


def seed_ledger(cursor, start: date, end: date) -> dict[str, int]:
    """Customers, suppliers, invoices, payments, bills and general entries up to LINES journal lines."""
    from backoffice.finance import invoicing

    days = (end - start).days + 1
    cursor.execute(
        """
        INSERT INTO parties_organization (name, org_number, vat_number, roles, email, phone, website, country,
            portal_visibility, is_active, notes, created_at, updated_at)
        SELECT CASE WHEN g <= %(customers)s THEN 'Bench Finance Customer ' || g || ' AB'
                    ELSE 'Bench Finance Supplier ' || (g - %(customers)s) || ' AB' END,
            '55' || lpad(g::text, 4, '0') || '-' || lpad((g * 37 %% 10000)::text, 4, '0'),
            'SE55' || lpad(g::text, 8, '0') || '01',
            CASE WHEN g <= %(customers)s THEN '{customer}' ELSE '{supplier}' END::varchar[],
            'billing' || g || '@finance-bench.example', '', '', 'SE', 'organization', true, '', now(), now()
        FROM generate_series(1, %(all)s) g
        ORDER BY g
        """,
        {"customers": CUSTOMERS, "all": CUSTOMERS + SUPPLIERS},
    )
    cursor.execute("SELECT id, name FROM parties_organization WHERE name LIKE 'Bench Finance %%' ORDER BY id")
    organizations = cursor.fetchall()
    customers = organizations[:CUSTOMERS]
    suppliers = organizations[CUSTOMERS:]
    cursor.execute("SELECT code, id FROM finance_account")
    accounts = dict(cursor.fetchall())
    cursor.execute("SELECT code, id FROM finance_journal")
    journals = dict(cursor.fetchall())
    books = Books(cursor, journals, accounts)
    bank: list[tuple] = []  # (day, order, kind, data): the bank journal is posted in date order at the end

    # Customer invoices: one line each, VAT 25 % (80 %), 12 % or 6 %; paid 12–36 days after the invoice date
    # unless every 50th (overdue, unpaid) or not yet paid by yesterday.
    rates = {25: ("3001", "2610"), 12: ("3002", "2620"), 6: ("3003", "2630")}
    for g in range(1, INVOICES + 1):
        day = start + timedelta(days=(g - 1) * days // INVOICES)
        index = 0 if g % BIG_CUSTOMER_EVERY == 0 else (g * 7919) % CUSTOMERS
        customer_id, customer_name = customers[index]
        rate = 25 if g % 10 < 8 else 12 if g % 10 == 8 else 6
        sales_code, vat_code = rates[rate]
        net = 50_000 + (g * 7907) % 2_000_000
        tax = tax_of(net, rate)
        total = net + tax
        sequence = books.number("invoice:F", day.year)
        number = f"F-{day.year}-{sequence:05d}"
        ocr = invoicing.ocr_reference(series="F", year=day.year, sequence=sequence)
        entry_id = books.post(
            "SALE",
            day,
            f"Invoice {number} to {customer_name}",
            number,
            [
                ("1510", total, 0, customer_id, number),
                (sales_code, 0, net, customer_id, number),
                (vat_code, 0, tax, customer_id, number),
            ],
        )
        paid_on = day + timedelta(days=12 + (g * 13) % 25)
        paid = g % 50 != 7 and paid_on <= end
        invoice_id = books.new_id("finance_invoice")
        books.add(
            "finance_invoiceline",
            books.new_id("finance_invoiceline"),
            invoice_id,
            1,
            None,
            f"ART-{g % 500:04d}",
            "Goods and services",
            "1.000",
            money(net),
            "0.00",
            f"{rate}.00",
            money(net),
            money(tax),
            accounts[sales_code],
        )
        books.add(
            "finance_invoice",
            invoice_id,
            "invoice",
            "paid" if paid else "issued",
            customer_name,
            "",
            None,
            None,
            None,
            "",
            "",
            None,
            "1.000000",
            "total",
            30,
            day.isoformat(),
            (day + timedelta(days=30)).isoformat(),
            number,
            ocr,
            money(net),
            money(tax),
            money(total),
            money(total if paid else 0),
            "0.00",
            "",
            moment(day),
            moment(paid_on if paid else day),
            moment(day),
            moment(day),
            None,
            None,
            "SEK",
            entry_id,
            None,
            customer_id,
            0,
        )
        if paid:
            bank.append((paid_on, 0, g, (invoice_id, customer_id, customer_name, ocr, total)))

    # Supplier bills: approved (booked) on their date, paid two days before they are due unless every 40th.
    costs = ("4010", "4010", "5410", "6110")
    for k in range(1, BILLS + 1):
        day = start + timedelta(days=(k - 1) * days // BILLS)
        supplier_id, supplier_name = suppliers[(k * 31) % SUPPLIERS]
        net = 20_000 + (k * 6113) % 5_000_000
        tax = tax_of(net, 25)
        total = net + tax
        number = f"L-{day.year}-{books.number('bill:L', day.year):05d}"
        reference = f"INV-{k:06d}"
        cost = costs[k % len(costs)]
        entry_id = books.post(
            "PURCH",
            day,
            f"Bill {number} from {supplier_name} (their invoice {reference})",
            reference,
            [
                (cost, net, 0, supplier_id, reference),
                ("2640", tax, 0, supplier_id, reference),
                ("2440", 0, total, supplier_id, reference),
            ],
        )
        due = day + timedelta(days=30)
        paid_on = due - timedelta(days=2)
        paid = k % 40 != 3 and paid_on <= end
        bill_id = books.new_id("finance_supplierbill")
        books.add(
            "finance_supplierbillline",
            books.new_id("finance_supplierbillline"),
            bill_id,
            1,
            "Goods and services",
            "",
            "1.000",
            money(net),
            "25.00",
            money(net),
            money(tax),
            None,
            None,
            None,
            None,
            accounts[cost],
        )
        books.add(
            "finance_supplierbill",
            bill_id,
            "paid" if paid else "approved",
            reference,
            number,
            day.isoformat(),
            due.isoformat(),
            "1.000000",
            "",
            money(net),
            money(tax),
            money(total),
            money(total if paid else 0),
            None,
            "",
            None,
            "none",
            "[]",
            moment(day),
            moment(day),
            None,
            None,
            "SEK",
            entry_id,
            supplier_id,
        )
        if paid:
            bank.append((paid_on, 1, k, (supplier_id, number, total)))

    # The bank journal in date order: customer payments (allocated in full) and supplier payments.
    bank.sort(key=lambda item: item[:3])
    for day, kind, _key, data in bank:
        if kind == 0:
            invoice_id, customer_id, customer_name, ocr, total = data
            entry_id = books.post(
                "BANK",
                day,
                f"Payment from {customer_name}",
                ocr,
                [("1930", total, 0, customer_id, ocr), ("1510", 0, total, customer_id, ocr)],
            )
            payment_id = books.new_id("finance_payment")
            books.add(
                "finance_payment",
                payment_id,
                day.isoformat(),
                money(total),
                "1.000000",
                money(total),
                ocr,
                customer_name,
                "bank_file",
                moment(day),
                None,
                None,
                "SEK",
                entry_id,
                customer_id,
            )
            books.add(
                "finance_paymentallocation",
                books.new_id("finance_paymentallocation"),
                day.isoformat(),
                money(total),
                money(total),
                "0.00",
                moment(day),
                entry_id,
                invoice_id,
                payment_id,
            )
        else:
            supplier_id, number, total = data
            books.post(
                "BANK",
                day,
                f"Supplier payment {number}",
                number,
                [("2440", total, 0, supplier_id, number), ("1930", 0, total, None, number)],
            )

    # General entries up to LINES: salaries and costs, four lines each (a two-line bank fee if two are left).
    remaining = LINES - books.line_count
    entries, extra = divmod(remaining, 4)
    for j in range(1, entries + 1):
        day = start + timedelta(days=(j - 1) * days // entries)
        if j % 2:
            gross = 2_500_000 + (j * 7) % 1_000_000
            fees = gross * 3142 // 10000
            withheld = gross * 30 // 100
            lines = [
                ("7010", gross, 0, None, "Salary"),
                ("7510", fees, 0, None, "Employer's contributions"),
                ("2710", 0, withheld, None, "Tax withheld"),
                ("1930", 0, gross + fees - withheld, None, "Paid out"),
            ]
            books.post("GEN", day, f"Salary {j}", f"S{j}", lines)
        else:
            net = 10_000 + (j * 4099) % 800_000
            fee = 500 + j % 3_000
            vat = tax_of(net, 25)
            cost = ("5010", "5410", "6110", "6212")[j % 4]
            lines = [
                (cost, net, 0, None, "Cost"),
                ("6570", fee, 0, None, "Bank fee"),
                ("2640", vat, 0, None, "Input VAT"),
                ("1930", 0, net + fee + vat, None, "Paid"),
            ]
            books.post("GEN", day, f"Receipt {j}", f"R{j}", lines)
    if extra:
        assert extra == 2, extra
        books.post("GEN", end, "Bank fee", "FEE", [("6570", 4_500, 0, None, "Fee"), ("1930", 0, 4_500, None, "Fee")])
    assert books.line_count == LINES, books.line_count

    # Lines before their entries and invoice (bill) lines before their invoices (bills): the guard triggers let
    # them in; the foreign keys are checked at commit (deferred).
    counts = {}
    counts["lines"] = books.copy(cursor, "finance_journalline", Books.LINE_COLUMNS)
    counts["entries"] = books.copy(cursor, "finance_journalentry", Books.ENTRY_COLUMNS)
    books.copy(
        cursor,
        "finance_invoiceline",
        "id, invoice_id, position, order_line_id, sku, description, quantity, unit_price, discount_percent, "
        "tax_rate, net_amount, tax_amount, account_id",
    )
    counts["invoices"] = books.copy(
        cursor,
        "finance_invoice",
        "id, kind, state, customer_name, customer_vat_number, billing_address, delivery_address, order_id, "
        "order_number, customer_reference, source_event, exchange_rate, tax_rounding, payment_terms_days, "
        "invoice_date, due_date, number, ocr, subtotal, tax_total, total, amount_paid, amount_credited, reason, "
        "created_at, updated_at, issued_at, sent_at, cancelled_at, credited_invoice_id, currency_id, entry_id, "
        "issued_by_id, organization_id, dunning_level",
    )
    books.copy(
        cursor,
        "finance_supplierbillline",
        "id, bill_id, position, description, sku, quantity, unit_price, tax_rate, net_amount, tax_amount, "
        "purchase_order_line_id, ordered_quantity, ordered_unit_price, received_quantity, account_id",
    )
    counts["bills"] = books.copy(
        cursor,
        "finance_supplierbill",
        "id, state, supplier_reference, number, bill_date, due_date, exchange_rate, payment_reference, subtotal, "
        "tax_total, total, amount_paid, purchase_order_id, purchase_order_number, source_event, match_state, "
        "match_problems, created_at, approved_at, approved_by_id, created_by_id, currency_id, entry_id, supplier_id",
    )
    counts["payments"] = books.copy(
        cursor,
        "finance_payment",
        "id, date, amount, exchange_rate, amount_allocated, reference, payer_name, method, created_at, "
        "bank_line_id, created_by_id, currency_id, entry_id, organization_id",
    )
    books.copy(
        cursor,
        "finance_paymentallocation",
        "id, date, amount, amount_base, exchange_difference, created_at, entry_id, invoice_id, payment_id",
    )
    for table in books.next_id:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    for (key, year), last in books.series.items():
        cursor.execute(
            """
            INSERT INTO finance_numberseries (key, year, last) VALUES (%s, %s, %s)
            ON CONFLICT (key, year) DO UPDATE SET last = EXCLUDED.last
            """,
            [key, year, last],
        )
    return counts


def ensure_drafts(count: int) -> int:
    """At least `count` draft invoices ready to issue (bulk_create; one line each, VAT 25 %, in SEK)."""
    from decimal import Decimal

    from backoffice.finance.models import Account, Invoice, InvoiceLine
    from core.parties.models import Organization

    have = Invoice.objects.filter(state=Invoice.State.DRAFT, kind=Invoice.Kind.INVOICE).count()
    if have >= count:
        return have
    customers = list(
        Organization.objects.filter(name__startswith="Bench Finance Customer ").order_by("pk").values_list("pk", "name")
    )
    sales = Account.objects.get(code="3001")
    drafts = []
    for n in range(have, count):
        customer_id, name = customers[(n * 13) % len(customers)]
        net = 100_000 + (n * 3571) % 900_000
        tax = tax_of(net, 25)
        drafts.append(
            Invoice(
                organization_id=customer_id,
                customer_name=name,
                currency_id="SEK",
                subtotal=Decimal(net) / 100,
                tax_total=Decimal(tax) / 100,
                total=Decimal(net + tax) / 100,
                customer_reference="Bench draft",
            )
        )
    Invoice.objects.bulk_create(drafts, batch_size=2_000)
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice=invoice,
                position=1,
                description="Consulting, bench",
                quantity=Decimal(1),
                unit_price=invoice.subtotal,
                tax_rate=Decimal(25),
                net_amount=invoice.subtotal,
                tax_amount=invoice.tax_total,
                account=sales,
            )
            for invoice in drafts
        ),
        batch_size=2_000,
    )
    return count


def verify(label: str) -> str:
    from backoffice.finance.selectors import verify_ledger

    started = time.monotonic()
    problems = verify_ledger()
    seconds = time.monotonic() - started
    if problems:
        return f"verify_ledger ({label}): FAILS — " + "; ".join(
            f"{problem.journal} {problem.entry}: {problem.problem}" for problem in problems
        )
    return f"verify_ledger ({label}): passes, every chain whole ({seconds:.0f} s)"


def seed() -> tuple[float | None, str]:
    """Seed what is missing in one transaction, VACUUM ANALYZE, verify the ledger once; returns the seconds
    seeding took (None when it was there) and what verify_ledger said at seed time (or that it did then)."""
    from django.db import connection, transaction

    from backoffice.finance.models import FiscalYear

    start, end = period()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM finance_journalline")
        lines = cursor.fetchone()[0]
    if lines >= LINES:
        return None, ""
    if lines:
        raise SystemExit(f"the bench database holds {lines:,} journal lines, not {LINES:,}: drop it and run again")
    print("seeding (once)…", flush=True)
    started = time.monotonic()
    with transaction.atomic():
        for year in (start.year, start.year + 1):
            FiscalYear.objects.get_or_create(
                name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
            )
        with connection.cursor() as cursor:
            counts = seed_ledger(cursor.cursor, start, end)
    print(f"  rows copied in {time.monotonic() - started:.0f} s: {counts}", flush=True)
    ensure_drafts(DRAFTS_PER_SECOND * 10)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds = time.monotonic() - started
    print(f"  seeded and vacuumed in {seconds:.0f} s; verifying the seeded ledger…", flush=True)
    return seconds, verify("at seed")


# --- the issuing scenario ----------------------------------------------------------------------------------------


def restore(user) -> int:
    """Put the books back as seeded: what the bench user issued becomes a draft again, its entries and their lines
    go (the guard triggers off for this one transaction, in the bench database only), the series restart after the
    highest number left, and its audit rows and outbox events go. Returns how many invoices were put back."""
    from django.db import connection, transaction

    from core.audit.models import AuditEntry
    from core.health import redis_client
    from core.models import IdempotentRequest
    from integration.bus.models import OutboxEvent

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM finance_invoice WHERE issued_by_id = %s", [user.pk])
        issued = cursor.fetchone()[0]
        if issued:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending when the triggers return
            guards = [
                ("finance_invoice", "finance_invoice_guard"),
                ("finance_journalentry", "finance_entry_guard"),
                ("finance_journalline", "finance_line_guard"),
            ]
            for table, trigger in guards:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            cursor.execute(
                """
                UPDATE finance_invoice SET state = 'draft', number = '', ocr = '', entry_id = NULL,
                    invoice_date = NULL, due_date = NULL, issued_at = NULL, issued_by_id = NULL,
                    billing_address = NULL, exchange_rate = 1, sent_at = NULL
                WHERE issued_by_id = %s
                """,
                [user.pk],
            )
            cursor.execute(
                "DELETE FROM finance_journalline WHERE entry_id IN "
                "(SELECT id FROM finance_journalentry WHERE posted_by_id = %s)",
                [user.pk],
            )
            cursor.execute("DELETE FROM finance_journalentry WHERE posted_by_id = %s", [user.pk])
            for table, trigger in guards:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        cursor.execute(
            """
            UPDATE finance_numberseries s SET last = coalesce((
                SELECT max(split_part(number, '-', 3)::int) FROM finance_invoice
                WHERE number LIKE 'F-' || s.year || '-%%'), 0)
            WHERE key = 'invoice:F'
            """
        )
        cursor.execute(
            """
            UPDATE finance_numberseries s SET last = coalesce((
                SELECT max(split_part(e.number, '-', 3)::int) FROM finance_journalentry e
                JOIN finance_journal j ON j.id = e.journal_id
                WHERE j.code = 'SALE' AND e.number LIKE 'SALE-' || s.year || '-%%'), 0)
            WHERE key = 'journal:SALE'
            """
        )
        AuditEntry.objects.filter(actor=user).delete()
        OutboxEvent.objects.filter(name="finance.invoice_issued").delete()
        IdempotentRequest.objects.filter(user=user).delete()  # the keys' stored answers name invoices put back
    redis_client().delete("celery")  # the mail and relay tasks no worker took (the bench's own Redis database)
    if issued:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE finance_invoice, finance_journalentry, finance_journalline")
    return issued


def settle(user) -> None:
    """Wait until the issues still in flight when wrk stopped have committed (no new one for a second)."""
    from backoffice.finance.models import Invoice

    last = None
    while (count := Invoice.objects.filter(issued_by=user).count()) != last:
        last = count
        time.sleep(1)


def issue_queries(user, token: str, pk: int) -> int:
    """The SQL queries one accepted issue with an Idempotency-Key makes through the API (the invoice counts with
    the others)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/api/v1/finance/invoices/{pk}/issue/", {}, format="json", HTTP_IDEMPOTENCY_KEY=f"bench-queries-{pk}"
        )
    assert response.status_code == 200, (response.status_code, response.content[:2000])
    return len(captured)


def check_issued(user, series_before: dict, chain_before: tuple[int, str]) -> str:
    """Gapless numbers, the sales chain continued (positions, previous hashes, recomputed hashes), every new entry
    balanced: one line saying which held."""
    from django.db.models import Sum

    from backoffice.finance.models import Invoice, JournalEntry, JournalLine
    from backoffice.finance.services import entry_hash

    issued = list(Invoice.objects.filter(issued_by=user).values_list("number", "entry_id"))
    by_year: dict[int, list[int]] = {}
    for number, _entry in issued:
        _series, year, sequence = number.split("-")
        by_year.setdefault(int(year), []).append(int(sequence))
    gapless = all(
        sorted(sequences)
        == list(range(series_before.get(year, 0) + 1, series_before.get(year, 0) + len(sequences) + 1))
        for year, sequences in by_year.items()
    )
    entries = list(
        JournalEntry.objects.filter(posted_by=user, journal__code="SALE")
        .select_related("journal")
        .prefetch_related("lines")
        .order_by("chain_position")
    )
    position, previous_hash = chain_before
    chained = True
    for entry in entries:
        lines = list(entry.lines.all())
        if (
            entry.chain_position != position + 1
            or entry.previous_hash != previous_hash
            or entry_hash(entry, lines, previous_hash) != entry.hash
        ):
            chained = False
            break
        position, previous_hash = entry.chain_position, entry.hash
    sums = (
        JournalLine.objects.filter(entry__posted_by=user)
        .values("entry_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    unbalanced = sum(1 for row in sums if row["debit"] != row["credit"])
    entry_ids = {entry for _number, entry in issued}
    return (
        f"issuing check: {len(issued):,} invoices issued, numbers "
        + ", ".join(f"{year}: {min(s):05d}–{max(s):05d}" for year, s in sorted(by_year.items()))
        + f" · gapless: {'yes' if gapless else 'NO'}"
        + f" · one entry each: {'yes' if len(entry_ids) == len(issued) else 'NO'}"
        + f" · sales chain continues ({len(entries):,} entries): {'yes' if chained else 'NO'}"
        + f" · unbalanced entries: {unbalanced}"
    )


# --- main ------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="", help="run only the scenarios whose label contains this text")
    parser.add_argument("--verify", action="store_true", help="also run the whole verify_ledger at the end")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2, as every bench, unless said)")
    arguments = parser.parse_args()
    prepare_database(DATABASE, ENV)
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from backoffice.finance.models import Invoice, JournalEntry, NumberSeries
    from core.accounts.models import User
    from core.accounts.roles import sync_department_permissions

    sync_department_permissions()  # as after `migrate`, also when that found nothing to do
    user, _created = User.objects.get_or_create(
        email=USER_EMAIL, defaults={"kind": "staff", "full_name": "Finance Bench"}
    )
    user.groups.add(Group.objects.get(name="Finance"))
    token = Token.objects.get_or_create(user=user)[0].key
    seed_seconds, seed_verified = seed()
    put_back = restore(user)  # a run stopped half-way left issued drafts behind
    start, end = period()
    today = date.today()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT organization_id, count(*) FROM finance_invoice WHERE state <> 'draft' "
            "GROUP BY organization_id ORDER BY count(*) DESC LIMIT 1"
        )
        big_customer, big_invoices = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM finance_journalline l JOIN finance_account a ON a.id = l.account_id "
            "JOIN finance_journalentry e ON e.id = l.entry_id WHERE a.code = '1510' AND l.partner_id = %s "
            "AND e.date BETWEEN %s AND %s",
            [big_customer, start, today],
        )
        statement_lines = cursor.fetchone()[0]
    whole = f"date_from={start.isoformat()}&date_to={today.isoformat()}"
    # label, path, who (page: session cookie; api: token; issue), target
    scenarios = [
        ("trial balance, 2 years", f"/app/finance/reports/trial-balance/?{whole}", "page", "report"),
        ("trial balance API", f"/api/v1/finance/reports/trial-balance/?{whole}", "api", "report"),
        ("profit and loss, 2 years", f"/app/finance/reports/profit-and-loss/?{whole}", "page", "report"),
        ("profit and loss API", f"/api/v1/finance/reports/profit-and-loss/?{whole}", "api", "report"),
        ("balance sheet, today", "/app/finance/reports/balance-sheet/", "page", "report"),
        ("balance sheet API", "/api/v1/finance/reports/balance-sheet/", "api", "report"),
        ("aged receivables, today", "/app/finance/reports/aged-receivables/", "page", "report"),
        ("aged receivables API", "/api/v1/finance/reports/aged-receivables/", "api", "report"),
        ("aged payables, today", "/app/finance/reports/aged-payables/", "page", "report"),
        ("aged payables API", "/api/v1/finance/reports/aged-payables/", "api", "report"),
        ("VAT return, 2 years", f"/app/finance/reports/vat/?{whole}", "page", "report"),
        ("VAT return API", f"/api/v1/finance/reports/vat/?{whole}", "api", "report"),
        (
            f"customer statement, {statement_lines:,} lines",
            f"/app/finance/reports/customer-statement/{big_customer}/?{whole}",
            "page",
            "report",
        ),
        (
            "customer statement API",
            f"/api/v1/finance/reports/customer-statement/{big_customer}/?{whole}",
            "api",
            "report",
        ),
        ("invoice list, first page", "/app/finance/invoices/", "page", "list"),
        ("invoice list API, first page", "/api/v1/finance/invoices/", "api", "list"),
        ("payment list, first page", "/app/finance/payments/", "page", "list"),
        ("issue invoices, 4 concurrent clients", "", "issue", "issue"),
    ]
    scenarios = [scenario for scenario in scenarios if arguments.only in scenario[0]]
    if any(kind == "issue" for *_rest, kind in scenarios):
        ensure_drafts(DRAFTS_PER_SECOND * arguments.seconds)
    cookie = session_cookie(user)
    with gunicorn(PORT, ENV, workers=arguments.workers) as server:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM finance_journalline), (SELECT count(*) FROM finance_journalentry), "
                "(SELECT count(*) FROM finance_invoice WHERE state IN ('issued', 'paid')), "
                "(SELECT count(*) FROM finance_invoice WHERE state = 'issued'), "
                "(SELECT count(*) FROM finance_invoice WHERE state = 'draft'), "
                "(SELECT count(*) FROM finance_payment), (SELECT count(*) FROM finance_supplierbill), "
                "(SELECT count(*) FROM finance_supplierbill WHERE state = 'approved'), "
                "(SELECT count(*) FROM parties_organization WHERE name LIKE 'Bench Finance Customer %%')"
            )
            lines, entries, invoices, open_invoices, drafts, payments, bills, open_bills, customers = cursor.fetchone()
        print(
            f"bench/finance.py · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · gunicorn "
            f"{arguments.workers} sync workers, DEBUG off · wrk {arguments.seconds} s per scenario: reports 1 "
            f"connection, lists 8, issuing 4 (each request with its own Idempotency-Key)"
        )
        print(
            f"rows: {lines:,} journal lines in {entries:,} posted entries ({start} – {end}), {invoices:,} invoices "
            f"({open_invoices:,} open), {drafts:,} drafts, {payments:,} payments, {bills:,} supplier bills "
            f"({open_bills:,} open), {customers:,} customers · seed: "
            + (f"{seed_seconds:.0f} s" if seed_seconds is not None else "reused")
            + (f" · put back {put_back:,} invoices an interrupted run had issued" if put_back else "")
        )
        if seed_verified:
            print(seed_verified)
        print(
            f"{'scenario':<38} {'req/s':>6} {'target':>8} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} "
            f"{'errors':>6} {'app ms':>7} {'db ms':>6}  met"
        )
        meter = CpuMeter(server.pid)
        check = ""
        for label, path, who, kind in scenarios:
            statuses: dict[int, int] = {}
            if who == "issue":
                year = today.year
                series_before = dict(NumberSeries.objects.filter(key="invoice:F").values_list("year", "last"))
                last = (
                    JournalEntry.objects.filter(journal__code="SALE", chain_position__isnull=False)
                    .order_by("-chain_position")
                    .values_list("chain_position", "hash")
                    .first()
                )
                ids = list(
                    Invoice.objects.filter(state=Invoice.State.DRAFT, kind=Invoice.Kind.INVOICE)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                try:
                    queries = issue_queries(user, token, ids[0])
                    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as file:
                        file.write("\n".join(str(pk) for pk in ids[1:]) + "\n")
                    meter.start()
                    requests, p50, p95, errors, output = wrk(
                        f"http://127.0.0.1:{PORT}/",
                        arguments.seconds,
                        threads=4,
                        connections=4,
                        script=ISSUE_SCRIPT,
                        arguments=(token, file.name, "4", f"bench-{os.getpid()}-{time.time_ns()}"),
                    )
                    cpu = meter.stop()
                    os.unlink(file.name)
                    for line in output.splitlines():
                        if line.startswith("STATUS "):
                            _word, status, count = line.split()
                            statuses[int(status)] = int(count)
                    done = statuses.get(200, 0)
                    settle(user)
                    check = check_issued(user, series_before, last or (0, ""))
                    check += (
                        f" · 200s counted by wrk: {done:,} (+1 for the query count, + those in flight at the end)"
                        f" · responses by status: {dict(sorted(statuses.items()))} · drafts ready: {len(ids):,}"
                        f" (year {year})"
                    )
                finally:
                    restore(user)
                errors = sum(count for status, count in statuses.items() if status != 200) + errors
                rate = done / arguments.seconds
                met = rate >= 100
                target = "≥100/s"
            else:
                queries = queries_per_request(user, path)
                headers = (f"Cookie: {cookie}",) if who == "page" else (f"Authorization: Token {token}",)
                connections = 1 if kind == "report" else 8
                meter.start()
                requests, p50, p95, errors, _output = wrk(
                    f"http://127.0.0.1:{PORT}{path}",
                    arguments.seconds,
                    threads=1 if connections == 1 else 2,
                    connections=connections,
                    headers=headers,
                )
                cpu = meter.stop()
                done = requests
                rate = requests / arguments.seconds
                if kind == "report":
                    met, target = p95 < 1000 and errors == 0 and requests > 0, "p95<1s"
                else:
                    met, target = None, "—"
            app, db = (cpu[key] / max(done, 1) for key in ("app", "db"))
            print(
                f"{label:<38} {rate:>6.1f} {target:>8} {p50:>7.1f} {p95:>7.1f} {queries:>7} {errors:>6} "
                f"{app:>7.1f} {db:>6.1f}  {'' if met is None else 'yes' if met else 'NO'}",
                flush=True,
            )
        if check:
            print(check)
    if arguments.verify:
        print(verify("after the run"))
    else:
        print("verify_ledger: not run (--verify runs it; the seeded chains are real sha256 chains)")


if __name__ == "__main__":
    main()
