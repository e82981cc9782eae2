"""E-mail to customers about their invoices and credit notes."""

import logging

from django.conf import settings

from backoffice.finance import services
from backoffice.finance.models import Invoice
from backoffice.finance.pdf import invoice_pdf
from core.mail import render_and_send_mail

logger = logging.getLogger(__name__)


def send_invoice_mail(*, invoice_id: int) -> bool:
    """The invoice's PDF and a short letter to the customer's e-mail address; stamps `sent_at` once it went.

    An invoice already sent is not sent again (a retried task after a lost acknowledgement); one whose customer
    has no address is left unsent, where `selectors.invoices_not_sent` shows it.
    """
    invoice = Invoice.objects.select_related("organization", "currency", "credited_invoice").get(pk=invoice_id)
    if invoice.sent_at is not None or invoice.state not in {Invoice.State.ISSUED, Invoice.State.PAID}:
        return False
    to = invoice.organization.email
    if not to:
        logger.warning("Invoice %s not e-mailed: %s has no e-mail address.", invoice.number, invoice.organization)
        return False
    language = settings.LANGUAGE_CODE
    context = {
        "number": invoice.number,
        "is_credit_note": invoice.is_credit_note,
        "credited_number": invoice.credited_invoice.number if invoice.credited_invoice_id else "",
        "customer": invoice.customer_name,
        "total": str(invoice.total),
        "currency": invoice.currency_id,
        "due_date": invoice.due_date.isoformat(),
        "ocr": invoice.ocr,
        "order_number": invoice.order_number,
        "company": settings.COMPANY_NAME,
    }
    render_and_send_mail(
        template="finance/email/invoice",
        context=context,
        to=[to],
        language=language,
        attachments=[(f"{invoice.number}.pdf", invoice_pdf(invoice, language=language), "application/pdf")],
    )
    services.invoice_mark_sent(invoice_id=invoice.pk)
    return True
