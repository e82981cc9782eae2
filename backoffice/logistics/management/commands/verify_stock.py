"""Check the stock table against the moves: on hand per product, location and lot must be the sum of the moves
in and out, and what is reserved must be what the deliveries' reservations hold.

    python manage.py verify_stock

Exits 0 when stock is right; otherwise prints every difference and exits 1.
"""

from django.core.management.base import BaseCommand, CommandError

from backoffice.logistics.models import StockMove, StockQuant
from backoffice.logistics.selectors import stock_drift


class Command(BaseCommand):
    help = "Recompute stock from the moves; exit non-zero when the stock table or its reservations drifted."

    def handle(self, *args, **options) -> None:
        drift = stock_drift()
        if drift:
            for row in drift:
                self.stderr.write(str(row))
            raise CommandError(f"Stock does not verify: {len(drift)} difference(s).", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Stock verifies: {StockQuant.objects.count()} stock rows agree with {StockMove.objects.count()} moves."
            )
        )
