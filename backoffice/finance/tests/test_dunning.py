"""Dunning and credit hold: which letter an overdue invoice earns on which day, what it costs (a fee invoice booked
to 3930/8313), that a run is idempotent, the letter's e-mail, and when a customer goes on and off credit hold."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from backoffice.finance import dunning, selectors, services
from backoffice.finance.models import CreditHold, DunningLetter, ExchangeRate, FiscalYear, Invoice
from backoffice.finance.tasks import run_dunning, send_dunning_letter
from core.exceptions import ServiceError
from core.notifications.models import FailedMail
from core.parties.tests.factories import OrganizationFactory
from integration.bus import services as bus
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
DUE = DAY + timedelta(days=30)  # 2026-04-01


@pytest.fixture(autouse=True)
def _years(db):
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The bus is looked at, not run; nothing goes to the broker."""
    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)


@pytest.fixture
def customer():
    return OrganizationFactory(name="Kund AB", email="ekonomi@kund.example")


def issued_invoice(organization, *, net: str = "8000.00", currency: str = "SEK", invoice_date: date = DAY) -> Invoice:
    """An invoice of one line at 25 % VAT (8000.00 net is 10000.00 to pay), due 30 days after its date."""
    draft = services.invoice_create(
        actor=None,
        organization=organization,
        currency=currency,
        payment_terms_days=30,
        lines=[
            services.InvoiceLineInput(
                description="Tält Fjäll", quantity=Decimal(1), unit_price=Decimal(net), tax_rate=Decimal(25)
            )
        ],
    )
    return services.invoice_issue(actor=None, invoice=draft, invoice_date=invoice_date)


def overdue_events() -> list[dict]:
    return list(
        OutboxEvent.objects.filter(name="finance.invoice_overdue").order_by("pk").values_list("payload", flat=True)
    )


def hold_events() -> list[dict]:
    return list(
        OutboxEvent.objects.filter(name="finance.credit_hold_changed").order_by("pk").values_list("payload", flat=True)
    )


def entry_lines(invoice: Invoice) -> dict[str, tuple[Decimal, Decimal]]:
    return {line.account.code: (line.debit, line.credit) for line in invoice.entry.lines.select_related("account")}


# --- levels, fees and interest -----------------------------------------------------------------------------------


def test_the_policy_row_has_the_agreed_defaults():
    policy = dunning.dunning_policy()
    assert (policy.pk, policy.reminder_days, policy.second_reminder_days, policy.final_notice_days) == (1, 7, 21, 35)
    assert (policy.reminder_fee, policy.fee_from_level, policy.interest_rate) == (
        Decimal("60.00"),
        2,
        Decimal("10.50"),
    )
    assert (policy.charge_interest, policy.hold_after_days, policy.hold_over_amount, policy.is_active) == (
        True,
        30,
        Decimal("50000.00"),
        True,
    )


@pytest.mark.parametrize(("days", "level"), [(0, 0), (6, 0), (7, 1), (20, 1), (21, 2), (34, 2), (35, 3), (400, 3)])
def test_the_level_an_invoice_earns_by_its_days_overdue(days, level):
    assert dunning.dunning_level_for(policy=dunning.dunning_policy(), days_overdue=days) == level


def test_letters_go_out_on_the_day_boundaries_with_fee_and_interest(customer):
    invoice = issued_invoice(customer)
    assert (invoice.number, invoice.due_date, invoice.total) == ("F-2026-00001", DUE, Decimal("10000.00"))

    assert dunning.dunning_run(DUE).letters == 0  # due today is not overdue
    assert dunning.dunning_run(DUE + timedelta(days=6)).letters == 0

    summary = dunning.dunning_run(DUE + timedelta(days=7))
    assert (summary.letters, summary.fee_invoices, summary.errors) == (1, 0, [])
    reminder = DunningLetter.objects.get()
    assert (reminder.level, reminder.date, reminder.days_overdue, reminder.amount_due) == (
        1,
        DUE + timedelta(days=7),
        7,
        Decimal("10000.00"),
    )
    assert (reminder.fee, reminder.interest, reminder.fee_invoice) == (Decimal("0.00"), Decimal("0.00"), None)
    invoice.refresh_from_db()
    assert invoice.dunning_level == 1

    assert dunning.dunning_run(DUE + timedelta(days=20)).letters == 0

    summary = dunning.dunning_run(DUE + timedelta(days=21))
    assert (summary.letters, summary.fee_invoices) == (1, 1)
    second = DunningLetter.objects.get(level=2)
    assert (second.days_overdue, second.fee, second.interest) == (21, Decimal("60.00"), Decimal("0.00"))
    assert (second.fee_invoice.number, second.fee_invoice.total) == ("F-2026-00002", Decimal("60.00"))

    assert dunning.dunning_run(DUE + timedelta(days=34)).letters == 0

    summary = dunning.dunning_run(DUE + timedelta(days=35))
    final = DunningLetter.objects.get(level=3)
    # 10000.00 SEK × 10.50 % × 35 / 365 = 100.684… → 100.68
    assert (final.days_overdue, final.fee, final.interest) == (35, Decimal("60.00"), Decimal("100.68"))
    assert (final.fee_invoice.number, final.fee_invoice.total) == ("F-2026-00003", Decimal("160.68"))
    invoice.refresh_from_db()
    assert invoice.dunning_level == 3
    assert dunning.dunning_run(DUE + timedelta(days=90)).letters == 0  # nothing after the final notice
    assert DunningLetter.objects.count() == 3


def test_an_invoice_found_late_gets_one_letter_at_the_highest_level(customer):
    invoice = issued_invoice(customer)
    summary = dunning.dunning_run(DUE + timedelta(days=40))
    assert summary.letters == 1
    letter = DunningLetter.objects.get()
    # 10000.00 × 10.50 % × 40 / 365 = 115.068… → 115.07
    assert (letter.level, letter.fee, letter.interest) == (3, Decimal("60.00"), Decimal("115.07"))
    invoice.refresh_from_db()
    assert invoice.dunning_level == 3


def test_the_fee_invoice_books_the_fee_to_3930_and_the_interest_to_8313_without_vat(customer):
    issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=40))
    fee_invoice = DunningLetter.objects.get().fee_invoice
    assert (fee_invoice.kind, fee_invoice.state, fee_invoice.currency_id, fee_invoice.organization) == (
        "invoice",
        "issued",
        "SEK",
        customer,
    )
    assert (fee_invoice.subtotal, fee_invoice.tax_total, fee_invoice.total) == (
        Decimal("175.07"),
        Decimal("0.00"),
        Decimal("175.07"),
    )
    assert (fee_invoice.invoice_date, fee_invoice.due_date) == (DUE + timedelta(days=40), DUE + timedelta(days=50))
    lines = [
        (line.account.code, line.tax_rate, line.net_amount) for line in fee_invoice.lines.select_related("account")
    ]
    assert lines == [("3930", Decimal("0.00"), Decimal("60.00")), ("8313", Decimal("0.00"), Decimal("115.07"))]
    assert entry_lines(fee_invoice) == {
        "1510": (Decimal("175.07"), Decimal("0.00")),
        "3930": (Decimal("0.00"), Decimal("60.00")),
        "8313": (Decimal("0.00"), Decimal("115.07")),
    }
    assert selectors.verify_ledger() == []


def test_interest_on_a_foreign_invoice_is_on_its_amount_in_sek(customer):
    ExchangeRate.objects.create(currency_id="EUR", date=DAY, rate=Decimal("11.250000"))
    invoice = issued_invoice(customer, net="800.00", currency="EUR")
    assert invoice.total == Decimal("1000.00")
    dunning.dunning_run(DUE + timedelta(days=35))
    letter = DunningLetter.objects.get()
    # 1000.00 EUR × 11.25 = 11250.00 SEK; × 10.50 % × 35 / 365 = 113.270… → 113.27
    assert (letter.amount_due, letter.fee, letter.interest) == (Decimal("1000.00"), Decimal("60.00"), Decimal("113.27"))
    assert (letter.fee_invoice.currency_id, letter.fee_invoice.total) == ("SEK", Decimal("173.27"))


def test_the_letter_asks_for_what_is_left_after_part_payment_and_none_goes_out_for_a_credited_invoice(customer):
    part_paid = issued_invoice(customer)
    Invoice.objects.filter(pk=part_paid.pk).update(amount_paid=Decimal("4000.00"))  # as a payment would leave it
    credited = issued_invoice(customer)
    services.invoice_credit(actor=None, invoice=credited, reason="Returned", credit_date=DUE)
    dunning.dunning_run(DUE + timedelta(days=7))
    letter = DunningLetter.objects.get()
    assert (letter.invoice, letter.amount_due) == (part_paid, Decimal("6000.00"))


def test_a_policy_without_fee_or_interest_sends_letters_that_cost_nothing(customer):
    dunning.dunning_policy_update(actor=None, reminder_fee=Decimal("0.00"), charge_interest=False)
    issued_invoice(customer)
    summary = dunning.dunning_run(DUE + timedelta(days=35))
    letter = DunningLetter.objects.get()
    assert (summary.fee_invoices, letter.fee, letter.interest, letter.fee_invoice) == (
        0,
        Decimal("0.00"),
        Decimal("0.00"),
        None,
    )
    assert Invoice.objects.count() == 1


def test_the_fee_can_be_charged_from_the_first_reminder(customer):
    dunning.dunning_policy_update(actor=None, fee_from_level=1, reminder_fee=Decimal("45.00"))
    issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=7))
    letter = DunningLetter.objects.get()
    assert (letter.level, letter.fee, letter.fee_invoice.total) == (1, Decimal("45.00"), Decimal("45.00"))


def test_fee_invoices_are_not_chased_themselves(customer):
    issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=21))
    fee_invoice = DunningLetter.objects.get().fee_invoice
    # Long after the fee invoice's own due date, only the original invoice gets its final notice.
    dunning.dunning_run(fee_invoice.due_date + timedelta(days=60))
    assert list(DunningLetter.objects.order_by("level").values_list("invoice_id", "level")) == [
        (fee_invoice.dunning_letter.invoice_id, 2),
        (fee_invoice.dunning_letter.invoice_id, 3),
    ]
    fee_invoice.refresh_from_db()
    assert fee_invoice.dunning_level == 0


def test_an_inactive_policy_sends_nothing_but_still_reviews_credit(customer):
    dunning.dunning_policy_update(actor=None, is_active=False)
    issued_invoice(customer)
    summary = dunning.dunning_run(DUE + timedelta(days=40))
    assert (summary.letters, summary.holds_placed) == (0, 1)
    assert not DunningLetter.objects.exists()
    assert CreditHold.objects.get(organization=customer).on_hold


# --- idempotency, events, efficiency ------------------------------------------------------------------------------


def test_running_twice_the_same_day_sends_nothing_new(customer):
    issued_invoice(customer)
    issued_invoice(OrganizationFactory(name="Annan AB", email="a@annan.example"))
    day = DUE + timedelta(days=21)
    first = dunning.dunning_run(day)
    assert (first.letters, first.fee_invoices) == (2, 2)
    counts = (DunningLetter.objects.count(), Invoice.objects.count(), len(overdue_events()), len(hold_events()))
    again = dunning.dunning_run(day)
    assert (again.letters, again.fee_invoices, again.holds_placed, again.holds_released) == (0, 0, 0, 0)
    assert (DunningLetter.objects.count(), Invoice.objects.count(), len(overdue_events()), len(hold_events())) == counts
    # The beat task runs for today (months later): the final notices go out once, then nothing more.
    assert run_dunning.apply(kwargs={}).get()["letters"] == 2
    assert run_dunning.apply(kwargs={}).get()["letters"] == 0


def test_beat_runs_dunning_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["finance-dunning"]
    assert (entry["task"], entry["schedule"]) == (run_dunning.name, 3600.0)
    assert run_dunning.name == "backoffice.finance.tasks.run_dunning"


def test_the_database_refuses_a_second_letter_at_the_same_level(customer):
    invoice = issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=7))
    with pytest.raises(IntegrityError), transaction.atomic():
        DunningLetter.objects.create(
            invoice=invoice, level=1, date=DUE + timedelta(days=8), days_overdue=8, amount_due=Decimal("1.00")
        )


def test_a_stale_candidate_gets_no_second_letter(customer):
    """Two runs at once: the second finds the invoice already at its level once it gets the lock."""
    invoice = issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=7))
    assert dunning.dunning_letter_create(actor=None, invoice=invoice, today=DUE + timedelta(days=7)) is None
    assert DunningLetter.objects.count() == 1


def test_each_letter_publishes_invoice_overdue(customer):
    invoice = issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=7))
    dunning.dunning_run(DUE + timedelta(days=21))
    assert overdue_events() == [
        {
            "invoice_id": invoice.pk,
            "invoice_number": "F-2026-00001",
            "organization_id": customer.pk,
            "level": 1,
            "days_overdue": 7,
            "amount_due": "10000.00",
            "currency": "SEK",
            "due_date": "2026-04-01",
        },
        {
            "invoice_id": invoice.pk,
            "invoice_number": "F-2026-00001",
            "organization_id": customer.pk,
            "level": 2,
            "days_overdue": 21,
            "amount_due": "10000.00",
            "currency": "SEK",
            "due_date": "2026-04-01",
        },
    ]


def test_candidates_are_found_in_one_query(customer, django_assert_num_queries):
    for _ in range(4):
        issued_invoice(customer)
    issued_invoice(customer, invoice_date=DUE)  # not yet due
    policy = dunning.dunning_policy()
    with django_assert_num_queries(1):
        candidates = list(dunning.invoices_to_remind(today=DUE + timedelta(days=21), policy=policy))
    assert [(invoice.number, invoice.target_level, invoice.due) for invoice in candidates] == [
        (f"F-2026-0000{number}", 2, Decimal("10000.00")) for number in range(1, 5)
    ]
    with django_assert_num_queries(1):
        position = dunning.overdue_position(organization_id=customer.pk, today=DUE + timedelta(days=21))
    assert position == dunning.OverduePosition(amount=Decimal("40000.00"), oldest_days=21, invoices=4)


def test_a_run_with_nothing_new_to_send_costs_the_same_for_more_invoices(customer, django_assert_max_num_queries):
    """Once everything is sent, a run is the candidate query plus one review per customer, whatever the invoices."""
    for _ in range(5):
        issued_invoice(customer)
    day = DUE + timedelta(days=7)
    dunning.dunning_run(day)
    with django_assert_max_num_queries(12):
        assert dunning.dunning_run(day).letters == 0


# --- the letter's e-mail ------------------------------------------------------------------------------------------


def test_the_letter_is_e_mailed_after_commit_with_the_fee_invoice_named(customer, django_capture_on_commit_callbacks):
    issued_invoice(customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run(DUE + timedelta(days=21))
    letter = DunningLetter.objects.get()
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        "Invoice F-2026-00002 from Kontor AB",  # the fee invoice, by the usual invoice mail
        "Second reminder: invoice F-2026-00001 from Kontor AB is overdue",
    ]
    message = next(message for message in mail.outbox if message.subject.startswith("Second reminder"))
    assert message.to == ["ekonomi@kund.example"]
    invoice = letter.invoice
    assert f"{invoice.ocr}" in message.body and "10000.00 SEK" in message.body and "2026-04-01" in message.body
    assert "Please pay 10000.00 SEK by 2026-05-02" in message.body
    assert "Reminder fee: 60.00 SEK." in message.body and "Late-payment interest" not in message.body
    assert "billed on invoice F-2026-00002 (60.00 SEK" in message.body and "separate e-mail" in message.body
    assert "final notice" not in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("F-2026-00001.pdf", "application/pdf") and content.startswith(b"%PDF")
    letter.refresh_from_db()
    assert letter.sent_at is not None
    assert dunning.dunning_letter_send_mail(letter_id=letter.pk) is False  # sent once only
    assert len(mail.outbox) == 2


def test_the_final_notice_says_so_and_names_the_interest(customer, django_capture_on_commit_callbacks):
    issued_invoice(customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run(DUE + timedelta(days=35))
    message = next(message for message in mail.outbox if message.subject.startswith("Final notice"))
    assert message.subject == "Final notice: invoice F-2026-00001 from Kontor AB is overdue"
    assert "Late-payment interest: 100.68 SEK." in message.body and "This is our final notice." in message.body


def test_no_letter_mail_without_an_address(django_capture_on_commit_callbacks):
    issued_invoice(OrganizationFactory(email=""))
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run(DUE + timedelta(days=7))
    assert mail.outbox == []
    assert DunningLetter.objects.get().sent_at is None


def test_a_letter_that_cannot_be_sent_is_kept_as_a_failed_mail(customer, monkeypatch):
    issued_invoice(customer)
    dunning.dunning_run(DUE + timedelta(days=7))
    letter = DunningLetter.objects.get()

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    monkeypatch.setattr(send_dunning_letter, "max_retries", 0)  # the last try: no retry left
    result = send_dunning_letter.apply(kwargs={"letter_id": letter.pk}, throw=False)
    assert result.failed()
    failed = FailedMail.objects.get()
    assert (failed.template, failed.to, failed.options) == (
        "finance/email/dunning_letter",
        ["ekonomi@kund.example"],
        {"language": "en"},
    )
    assert failed.context["number"] == "F-2026-00001" and "smtp down" in failed.error
    letter.refresh_from_db()
    assert letter.sent_at is None


# --- credit hold ---------------------------------------------------------------------------------------------------


def test_a_customer_goes_on_hold_after_more_than_the_days_allowed(customer):
    issued_invoice(customer)
    hold = dunning.credit_hold_review(customer.pk, today=DUE + timedelta(days=30))
    assert (hold.on_hold, hold.overdue_amount) == (False, Decimal("10000.00"))  # 30 days is not more than 30
    assert hold_events() == []
    hold = dunning.credit_hold_review(customer.pk, today=DUE + timedelta(days=31))
    assert (hold.on_hold, hold.is_manual, hold.reason) == (
        True,
        False,
        "An invoice is 31 days overdue (limit 30)",
    )
    [event] = hold_events()
    assert event["organization_id"] == customer.pk and event["on_hold"] is True
    assert (event["reason"], event["overdue_amount"], event["currency"]) == (
        "An invoice is 31 days overdue (limit 30)",
        "10000.00",
        "SEK",
    )
    assert event["changed_at"]
    dunning.credit_hold_review(customer.pk, today=DUE + timedelta(days=32))
    assert len(hold_events()) == 1  # no change, no event


def test_a_customer_goes_on_hold_when_the_overdue_amount_exceeds_the_limit(customer):
    for _ in range(5):
        issued_invoice(customer)  # 5 × 10000.00 = 50000.00: not more than the limit
    day = DUE + timedelta(days=1)
    assert dunning.credit_hold_review(customer.pk, today=day).on_hold is False
    issued_invoice(customer, net="0.80")  # one more krona
    hold = dunning.credit_hold_review(customer.pk, today=day)
    assert (hold.on_hold, hold.overdue_amount, hold.reason) == (
        True,
        Decimal("50001.00"),
        "50001.00 SEK overdue (limit 50000.00 SEK)",
    )


def test_the_overdue_amount_counts_foreign_invoices_at_their_rate(customer):
    ExchangeRate.objects.create(currency_id="EUR", date=DAY, rate=Decimal("11.250000"))
    issued_invoice(customer, net="3600.00", currency="EUR")  # 4500.00 EUR = 50625.00 SEK
    hold = dunning.credit_hold_review(customer.pk, today=DUE + timedelta(days=1))
    assert (hold.on_hold, hold.overdue_amount) == (True, Decimal("50625.00"))


def test_the_hold_is_released_once_the_customer_owes_nothing_overdue(customer):
    invoice = issued_invoice(customer)
    day = DUE + timedelta(days=31)
    assert dunning.credit_hold_review(customer.pk, today=day).on_hold is True
    services.invoice_credit(actor=None, invoice=invoice, reason="Settled", credit_date=day)
    hold = dunning.credit_hold_review(customer.pk, today=day)
    assert (hold.on_hold, hold.reason, hold.overdue_amount) == (False, "", Decimal("0.00"))
    assert [(event["on_hold"], event["overdue_amount"]) for event in hold_events()] == [
        (True, "10000.00"),
        (False, "0.00"),
    ]
    dunning.credit_hold_review(customer.pk, today=day)
    assert len(hold_events()) == 2  # once per change


def test_the_run_reviews_customers_on_hold_who_have_paid(customer):
    invoice = issued_invoice(customer)
    day = DUE + timedelta(days=31)
    assert dunning.dunning_run(day).holds_placed == 1
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=invoice.total, state=Invoice.State.PAID)
    summary = dunning.dunning_run(day + timedelta(days=1))
    assert (summary.holds_released, summary.customers_reviewed) == (1, 1)
    assert CreditHold.objects.get(organization=customer).on_hold is False


def test_a_hold_set_by_hand_stays_until_released_by_hand(customer):
    hold = dunning.credit_hold_set(actor=None, organization=customer, on_hold=True, reason="Bankruptcy rumours")
    assert (hold.on_hold, hold.is_manual, hold.reason, hold.overdue_amount) == (
        True,
        True,
        "Bankruptcy rumours",
        Decimal("0.00"),
    )
    hold = dunning.credit_hold_review(customer.pk, today=DUE)
    assert (hold.on_hold, hold.is_manual, hold.reason) == (True, True, "Bankruptcy rumours")  # nothing overdue, kept
    dunning.dunning_run(DUE)
    assert CreditHold.objects.get(organization=customer).on_hold is True
    hold = dunning.credit_hold_set(actor=None, organization=customer, on_hold=False, reason="Paid in advance")
    assert (hold.on_hold, hold.is_manual, hold.reason) == (False, False, "")
    assert [(event["on_hold"], event["reason"]) for event in hold_events()] == [
        (True, "Bankruptcy rumours"),
        (False, "Paid in advance"),
    ]


def test_holding_by_hand_needs_a_reason_and_a_release_needs_a_hold(customer):
    with pytest.raises(ServiceError) as error:
        dunning.credit_hold_set(actor=None, organization=customer, on_hold=True, reason="  ")
    assert error.value.message_dict == {"reason": ["Say why, so sales can tell the customer."]}
    with pytest.raises(ServiceError, match="Kund AB is not on credit hold."):
        dunning.credit_hold_set(actor=None, organization=customer, on_hold=False, reason="Paid")
    assert hold_events() == []


def test_a_policy_hold_taken_over_by_hand_is_no_longer_released_by_the_policy(customer):
    invoice = issued_invoice(customer)
    day = DUE + timedelta(days=31)
    dunning.credit_hold_review(customer.pk, today=day)
    dunning.credit_hold_set(actor=None, organization=customer, on_hold=True, reason="Disputed many times")
    services.invoice_credit(actor=None, invoice=invoice, reason="Settled", credit_date=day)
    hold = dunning.credit_hold_review(customer.pk, today=day)
    assert (hold.on_hold, hold.is_manual, hold.overdue_amount) == (True, True, Decimal("0.00"))


def test_credit_hold_review_takes_the_organization_id_positionally_as_payments_call_it(customer):
    hold = dunning.credit_hold_review(customer.pk)
    assert isinstance(hold, CreditHold) and hold.on_hold is False


# --- the policy ----------------------------------------------------------------------------------------------------


def test_the_policy_refuses_levels_out_of_order_on_their_fields():
    with pytest.raises(ServiceError) as error:
        dunning.dunning_policy_update(
            actor=None, reminder_days=10, second_reminder_days=10, final_notice_days=5, interest_rate=Decimal(120)
        )
    assert error.value.message_dict == {
        "second_reminder_days": ["The second reminder comes after the first."],
        "final_notice_days": ["The final notice comes after the second reminder."],
        "interest_rate": ["The interest rate is between 0 and 100 %."],
    }
    assert dunning.dunning_policy().reminder_days == 7


def test_the_policy_change_is_audited():
    from core.audit.models import AuditEntry

    dunning.dunning_policy_update(actor=None, hold_after_days=45)
    entry = AuditEntry.objects.filter(object_id="1", content_type__model="dunningpolicy").get()
    assert entry.changes == {"hold_after_days": ["30", "45"]}


# --- demo data -----------------------------------------------------------------------------------------------------


def test_the_demo_has_an_overdue_invoice_with_letters_and_a_customer_on_hold_and_runs_again_without_change(
    admin_user,
):
    from backoffice.finance import dunning_demo

    late = OrganizationFactory(name="Sen AB", email="sen@example.com")
    later = OrganizationFactory(name="Senare AB", email="senare@example.com")
    summary = dunning_demo.seed(admin_user)
    assert summary.startswith("2 overdue invoices made, 2 letters sent today;")
    letters = {letter.invoice.organization: letter for letter in DunningLetter.objects.select_related("invoice")}
    assert (letters[later].level, letters[late].level) == (3, 1)  # the newest customer got the longest overdue one
    assert letters[later].fee_invoice is not None and letters[late].fee_invoice is None
    assert list(CreditHold.objects.filter(on_hold=True).values_list("organization", flat=True)) == [later.pk]
    assert dunning_demo.seed(admin_user).startswith("0 overdue invoices made, 0 letters sent today; 2 letters and 1")
