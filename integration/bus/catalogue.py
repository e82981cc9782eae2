"""Every event name, declared once, with its version and payload schema.

A payload schema is a dataclass: field names and types say what the payload
holds. Payloads are JSON: money is a decimal string ("123.45"), dates are ISO
strings, references are ids. `publish` refuses unknown names and payloads that
do not match their schema, so a typo fails in the publisher's test, not in a
subscriber three days later.
"""

import dataclasses
import datetime
import decimal
import functools
import types
import typing
import uuid
from dataclasses import dataclass, field
from typing import Any


class CatalogueError(ValueError):
    """An unknown event name or a payload that does not match the declared schema."""


class Money(str):
    """A decimal amount written as a string, e.g. "1234.50" (never a float)."""


class IsoDate(str):
    """A date written as an ISO string, e.g. "2026-11-27"."""


class IsoDateTime(str):
    """A time written as an ISO string with its offset."""


@dataclass(frozen=True)
class EventSpec:
    name: str
    version: int
    schema: type
    producer: str
    description: str
    consumers: tuple[str, ...] = field(default_factory=tuple)
    documented: bool = True  # False only for test and benchmark events, kept out of docs/events.md

    def fields(self) -> list[tuple[str, str, bool]]:
        """(name, type as text, required) for the documentation."""
        hints = typing.get_type_hints(self.schema)
        return [
            (item.name, _type_name(hints[item.name]), _is_required(item)) for item in dataclasses.fields(self.schema)
        ]


_CATALOGUE: dict[str, EventSpec] = {}


def declare(spec: EventSpec) -> EventSpec:
    """Add an event to the catalogue; a name may be declared only once."""
    existing = _CATALOGUE.get(spec.name)
    if existing is not None and existing != spec:
        raise CatalogueError(f"Event {spec.name!r} is declared twice.")
    if not dataclasses.is_dataclass(spec.schema):
        raise CatalogueError(f"The schema of {spec.name!r} must be a dataclass.")
    _CATALOGUE[spec.name] = spec
    return spec


def get(name: str) -> EventSpec:
    try:
        return _CATALOGUE[name]
    except KeyError:
        raise CatalogueError(f"Unknown event {name!r}: declare it in the catalogue first.") from None


def all_events() -> list[EventSpec]:
    return sorted(_CATALOGUE.values(), key=lambda spec: spec.name)


def render_markdown(subscribers_for) -> str:
    """docs/events.md: every documented event, its payload fields, producer and consumers."""
    lines = [
        "# Events",
        "",
        "Generated from the catalogue by `python manage.py bus_catalogue --write`; a test fails when it",
        "is out of date. Each event is declared once, in its producer's `events.py`, with a payload",
        "schema that `publish()` enforces. Money is a decimal string, dates are ISO strings.",
        "",
    ]
    events = [spec for spec in all_events() if spec.documented]
    if not events:
        lines += ["No events are declared yet: each app adds its own as it arrives.", ""]
    for spec in events:
        lines += [
            f"## `{spec.name}` (version {spec.version})",
            "",
            spec.description,
            "",
            f"Producer: {spec.producer}",
            "",
        ]
        lines += ["| field | type | required |", "|---|---|---|"]
        lines += [f"| `{name}` | {kind} | {'yes' if required else 'no'} |" for name, kind, required in spec.fields()]
        subscribers = [subscriber.name for subscriber in subscribers_for(spec.name)]
        consumers = subscribers or list(spec.consumers) or ["none yet"]
        lines += ["", "Consumers: " + ", ".join(f"`{c}`" if "." in c else c for c in consumers), ""]
    return "\n".join(lines)


def to_json_safe(value: Any) -> Any:
    """Turn Decimal, dates, UUIDs and model instances into their JSON forms."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): to_json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_safe(item) for item in value]
    if hasattr(value, "pk") and hasattr(value, "_meta"):
        return value.pk
    return value


def validate(spec: EventSpec, payload: dict[str, Any]) -> dict[str, Any]:
    """Check a JSON-safe payload against the schema; return it, or raise CatalogueError naming the field."""
    if not isinstance(payload, dict):
        raise CatalogueError(f"{spec.name}: the payload must be an object.")
    hints, declared = _schema_fields(spec.schema)
    unknown = set(payload) - set(declared)
    if unknown:
        raise CatalogueError(f"{spec.name}: unknown fields {sorted(unknown)}.")
    for name, item in declared.items():
        if name not in payload:
            if _is_required(item):
                raise CatalogueError(f"{spec.name}: field {name!r} is missing.")
            continue
        problem = _check(payload[name], hints[name])
        if problem:
            raise CatalogueError(f"{spec.name}: field {name!r} {problem}.")
    return payload


@functools.cache
def _schema_fields(schema: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """A schema's type hints and fields, worked out once (get_type_hints re-evaluates them on every call)."""
    return typing.get_type_hints(schema), {item.name: item for item in dataclasses.fields(schema)}


def _is_required(item: dataclasses.Field) -> bool:
    return item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING


def _check(value: Any, hint: Any) -> str:
    """An empty string when `value` fits `hint`, otherwise what is wrong."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        return "" if any(not _check(value, option) for option in options) else f"does not fit {_type_name(hint)}"
    if hint is type(None):
        return "" if value is None else "must be null"
    if hint is Any:
        return ""
    if origin is list:
        if not isinstance(value, list):
            return "must be a list"
        (item_hint,) = typing.get_args(hint) or (Any,)
        for index, item in enumerate(value):
            problem = _check(item, item_hint)
            if problem:
                return f"item {index} {problem}"
        return ""
    if origin is dict or hint is dict:
        return "" if isinstance(value, dict) else "must be an object"
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            return "must be an object"
        try:
            validate(EventSpec(name="", version=0, schema=hint, producer="", description=""), value)
        except CatalogueError as error:
            return str(error).removeprefix(": ")
        return ""
    if hint is Money:
        try:
            is_amount = isinstance(value, str) and decimal.Decimal(value).is_finite()
        except decimal.InvalidOperation:
            is_amount = False
        return "" if is_amount else 'must be a decimal string such as "12.50"'

    if hint is IsoDate:
        return _parses(value, datetime.date.fromisoformat, "an ISO date")
    if hint is IsoDateTime:
        return _parses(value, datetime.datetime.fromisoformat, "an ISO date and time")
    if hint is bool:
        return "" if isinstance(value, bool) else "must be true or false"
    if hint is int:
        return "" if isinstance(value, int) and not isinstance(value, bool) else "must be an integer"
    if hint is str:
        return "" if isinstance(value, str) else "must be a string"
    if hint is float:
        return "must not be a float: use Money for amounts"
    return "" if isinstance(value, hint) else f"must be {_type_name(hint)}"


def _parses(value: Any, parse, what: str) -> str:
    try:
        parse(value)
    except (TypeError, ValueError):
        return f"must be {what}"
    return ""


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(option) for option in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return f"list of {_type_name(item)}"
    if hint is type(None):
        return "null"
    if dataclasses.is_dataclass(hint):
        inner = ", ".join(
            f"{f.name}: {_type_name(typing.get_type_hints(hint)[f.name])}" for f in dataclasses.fields(hint)
        )
        return f"object {{{inner}}}"
    return {
        str: "string",
        int: "integer",
        bool: "boolean",
        dict: "object",
        Money: "money (decimal string)",
        IsoDate: "date (ISO)",
        IsoDateTime: "date-time (ISO)",
        Any: "any",
    }.get(hint, getattr(hint, "__name__", str(hint)))
