"""E-mail to suppliers: the request for quotation or the purchase order with its PDF."""

from django.conf import settings

from backoffice.logistics.models import PurchaseOrder
from backoffice.logistics.pdf import purchase_order_pdf
from core.mail import render_and_send_mail


def send_purchase_order_mail(*, order_id: int) -> bool:
    order = PurchaseOrder.objects.select_related("supplier", "warehouse").get(pk=order_id)
    if not order.supplier.email:
        return False
    language = settings.LANGUAGE_CODE
    render_and_send_mail(
        template="logistics/email/purchase_order",
        context={
            "number": str(order),
            "supplier": order.supplier.name,
            "is_order": order.state not in {PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT},
            "expected_on": order.expected_on.isoformat() if order.expected_on else "",
            "warehouse": order.warehouse.name,
            "company": settings.COMPANY_NAME,
        },
        to=[order.supplier.email],
        language=language,
        attachments=[(f"{order}.pdf", purchase_order_pdf(order, language=language), "application/pdf")],
    )
    return True
