"""Give a subscriber the deliveries of events relayed before it existed (bus.replay_for_subscriber)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from core.exceptions import ServiceError
from integration.bus import registry
from integration.bus.services import replay_for_subscriber


class Command(BaseCommand):
    help = (
        "Create the deliveries a subscriber would have had for the relayed events of its name (those it has none "
        "of), oldest first, and send them to the workers. For a subscriber added to a running system."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("subscriber", nargs="?", help="the subscriber's full name (module.function)")
        parser.add_argument("--since", help="only events that occurred at or after this ISO date-time")
        parser.add_argument("--list", action="store_true", help="list the subscribers and their events")

    def handle(self, *args, subscriber: str | None, since: str | None, list: bool, **options) -> None:
        if list or not subscriber:
            for found in registry.all_subscribers():
                self.stdout.write(f"{found.name}  ← {found.event_name}")
            if not subscriber:
                return
        when = None
        if since:
            when = parse_datetime(since) or parse_datetime(f"{since}T00:00:00+00:00")
            if when is None:
                raise CommandError(f"--since: {since!r} is not an ISO date or date-time.")
        try:
            made = replay_for_subscriber(subscriber=subscriber, since=when)
        except ServiceError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"{made} deliveries made for {subscriber}.")
