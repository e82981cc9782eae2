"""Write docs/events.md from the event catalogue, or check that it is up to date."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integration.bus import catalogue, registry

DOC = Path(settings.BASE_DIR) / "docs" / "events.md"


class Command(BaseCommand):
    help = "Print the event catalogue as Markdown; --write updates docs/events.md, --check fails if it differs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--write", action="store_true")
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, write: bool, check: bool, **options) -> None:
        text = catalogue.render_markdown(registry.subscribers_for) + "\n"
        if write:
            DOC.write_text(text)
            self.stdout.write(f"Wrote {DOC}")
        elif check:
            if not DOC.exists() or DOC.read_text() != text:
                raise CommandError(f"{DOC} is out of date: run `python manage.py bus_catalogue --write`.")
            self.stdout.write("docs/events.md matches the catalogue.")
        else:
            self.stdout.write(text)
