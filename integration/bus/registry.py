"""Subscribers: functions in apps' handlers.py, registered with @subscribe("event.name")."""

from collections.abc import Callable
from dataclasses import dataclass

from integration.bus import catalogue


@dataclass(frozen=True)
class Subscriber:
    name: str  # "app.handlers.function": the delivery's stable key
    event_name: str
    function: Callable


_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(event_name: str) -> Callable[[Callable], Callable]:
    """Register the decorated function to receive every event called `event_name`.

    The handler gets an `integration.bus.services.ReceivedEvent` and runs in the
    transaction that marks its delivery done: raise to have it retried.
    """

    def register(function: Callable) -> Callable:
        catalogue.get(event_name)  # subscribing to an undeclared event is a bug
        name = f"{function.__module__}.{function.__qualname__}"
        _SUBSCRIBERS[name] = Subscriber(name=name, event_name=event_name, function=function)
        return function

    return register


def subscribers_for(event_name: str) -> list[Subscriber]:
    return [s for s in _SUBSCRIBERS.values() if s.event_name == event_name]


def get(name: str) -> Subscriber | None:
    return _SUBSCRIBERS.get(name)


def all_subscribers() -> list[Subscriber]:
    return sorted(_SUBSCRIBERS.values(), key=lambda s: s.name)
