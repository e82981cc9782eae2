"""Check the books: every journal's hash chain and every posted entry's balance.

    python manage.py verify_ledger

Exits 0 when every journal is whole; otherwise prints the first break of each broken journal and exits 1.
"""

from django.core.management.base import BaseCommand, CommandError

from backoffice.finance.models import JournalEntry
from backoffice.finance.selectors import verify_ledger


class Command(BaseCommand):
    help = "Recompute the ledger's hash chains and balances; exit non-zero at the first break of any journal."

    def handle(self, *args, **options) -> None:
        problems = verify_ledger()
        posted = JournalEntry.objects.filter(state=JournalEntry.State.POSTED).count()
        if problems:
            for problem in problems:
                self.stderr.write(f"{problem.journal} {problem.entry}: {problem.problem}")
            raise CommandError(f"The ledger does not verify: {len(problems)} journal(s) broken.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"The ledger verifies: {posted} posted entries, every chain whole."))
