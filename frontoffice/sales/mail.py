"""E-mail to customers about their quotes."""

from django.conf import settings
from django.urls import reverse

from core.mail import render_and_send_mail
from frontoffice.sales.models import Quote
from frontoffice.sales.pdf import quote_pdf


def send_quote_mail(*, quote_id: int, to: str, token: str, message: str = "") -> None:
    """The quote's PDF, a short letter, and the link to accept or decline it in the portal."""
    quote = Quote.objects.select_related("account__organization", "contact__user", "currency", "owner").get(pk=quote_id)
    portal_user = quote.contact.user if quote.contact and quote.contact.user_id else None
    language = (portal_user.language if portal_user else "") or settings.LANGUAGE_CODE
    context = {
        "reference": quote.reference,
        "customer": quote.account.organization.name,
        "contact_name": quote.contact.first_name if quote.contact else "",
        "total": str(quote.total),
        "currency": quote.currency_id,
        "valid_until": quote.valid_until.isoformat(),
        "message": message,
        "sender": (quote.owner.full_name or quote.owner.email) if quote.owner else settings.COMPANY_NAME,
        "company": settings.COMPANY_NAME,
        "link": settings.SITE_URL + reverse("portal-quote", args=[token]),
    }
    render_and_send_mail(
        template="sales/email/quote",
        context=context,
        to=[to],
        language=language,
        attachments=[(f"{quote.reference}.pdf", quote_pdf(quote, language=language), "application/pdf")],
        reply_to=[quote.owner.email] if quote.owner else [],
    )
