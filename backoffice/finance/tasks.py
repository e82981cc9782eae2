"""Celery tasks of finance (thin: each calls one function)."""

from celery import shared_task

from core.tasks import MailTask


@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def send_invoice(*, invoice_id: int) -> None:
    """E-mail an issued invoice or credit note with its PDF; SMTP hiccups are retried with backoff."""
    from backoffice.finance.mail import send_invoice_mail

    send_invoice_mail(invoice_id=invoice_id)


@shared_task(acks_late=True)
def match_bank_statement(*, statement_id: int) -> None:
    """Match an imported bank file's lines to open invoices, showing progress on the statement page."""
    from backoffice.finance.services import bank_statement_match

    bank_statement_match(actor=None, statement_id=statement_id)


class DunningLetterMailTask(MailTask):
    """A dunning letter that still fails after every retry is kept as a FailedMail with its text and recipient,
    so that an admin sees it and can send it again (core's machinery), like every other mail."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        from backoffice.finance.dunning import dunning_letter_mail_failed

        dunning_letter_mail_failed(letter_id=kwargs["letter_id"], error=f"{type(exc).__name__}: {exc}")


@shared_task(
    base=DunningLetterMailTask, autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def send_dunning_letter(*, letter_id: int) -> None:
    """E-mail a reminder, second reminder or final notice; SMTP hiccups are retried with backoff."""
    from backoffice.finance.dunning import dunning_letter_send_mail

    dunning_letter_send_mail(letter_id=letter_id)


@shared_task(ignore_result=True)
def run_dunning(*, actor_id: int | None = None) -> dict:
    """Beat (hourly) and the "Run dunning now" button: today's letters and credit-hold reviews (idempotent)."""
    from django.utils import timezone

    from backoffice.finance.dunning import dunning_run
    from core.accounts.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return dunning_run(timezone.localdate(), actor=actor).as_dict()
