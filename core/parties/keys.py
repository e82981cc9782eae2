"""Normalized keys that find duplicates: the same rules in SQL and in Python.

The keys are generated columns (computed by PostgreSQL, never stale) and
indexed; lookups apply the same SQL expression to the typed value.
"""

from django.db.models import Expression, Func, Value
from django.db.models.functions import Lower, Trim

# Legal-form words that do not tell two companies apart ("Acme AB" = "Acme").
LEGAL_FORMS = (
    r"\m(ab|aktiebolag|publ|hb|kb|ek för|ekonomisk förening"
    r"|ltd|limited|inc|llc|gmbh|oy|as|asa|a/s|plc|co|corp|sa|bv|nv)\M"
)


def _regexp_replace(expression: Expression, pattern: str, replacement: str = "") -> Func:
    return Func(expression, Value(pattern), Value(replacement), Value("g"), function="regexp_replace")


def name_key(expression: Expression) -> Func:
    """Lower-cased name without legal form, punctuation or spaces: 'ACME AB.' -> 'acme'."""
    without_forms = _regexp_replace(Lower(expression), LEGAL_FORMS)
    return _regexp_replace(without_forms, r"[^[:alnum:]]+")


def identifier_key(expression: Expression) -> Func:
    """Letters and digits only, upper-cased: '556677-8899' -> '5566778899'."""
    return Func(_regexp_replace(expression, r"[^[:alnum:]]+"), function="upper")


def email_key(expression: Expression) -> Func:
    return Lower(Trim(expression))


def name_key_of(value: str) -> Func:
    return name_key(Value(value))


def identifier_key_of(value: str) -> Func:
    return identifier_key(Value(value))


def email_key_of(value: str) -> Func:
    return email_key(Value(value))
