"""Money, numbers and choice labels per language: the shortcuts give exactly what Babel and Django give."""

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from django.utils import translation

from core.accounts.models import Department, User
from core.templatetags import kontor

BABEL_LOCALES = {"en": "en_GB", "sv": "sv_SE"}


@pytest.mark.parametrize("language", ["en", "sv"])
def test_money_and_number_are_babels_own(language):
    rng = random.Random(4)
    values = [Decimal("0"), Decimal("0.005"), Decimal("0.125"), Decimal("999.995"), Decimal("1234567.891")]
    values += [Decimal(rng.randrange(0, 10**10)) / Decimal(10 ** rng.randrange(0, 4)) for _ in range(300)]
    with translation.override(language):
        for value in values:
            for currency in ("SEK", "EUR", "USD", "JPY", "NOK"):
                expected = format_currency(
                    value, currency, format=kontor._CURRENCY_PATTERNS.get(language), locale=BABEL_LOCALES[language]
                )
                assert kontor.money(value, currency) == expected
                assert kontor.money(-value, currency) == format_currency(
                    -value, currency, format=kontor._CURRENCY_PATTERNS.get(language), locale=BABEL_LOCALES[language]
                )
            for decimals in (0, 1, 2):
                pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
                assert kontor.number(value, decimals) == format_decimal(
                    value, format=pattern, locale=BABEL_LOCALES[language]
                )
        for value in (0, 7, 1234, -1234, 10**12, 2.5):
            assert kontor.number(value) == format_decimal(value, format="#,##0", locale=BABEL_LOCALES[language])


def test_money_and_number_examples():
    with translation.override("sv"):
        assert kontor.money(Decimal("1234.5"), "SEK") == "1\xa0234,50\xa0kr"
        assert kontor.number(1234567) == "1\xa0234\xa0567"
    with translation.override("en"):
        assert kontor.money(Decimal("1234.5"), "SEK") == "SEK\xa01,234.50"
        assert kontor.money("12.345", "EUR") == "€\xa012.34"
        assert kontor.money(None) == kontor.number("") == "—"


@pytest.mark.parametrize("language", ["en", "sv"])
def test_display_is_get_display(language):
    with translation.override(language):
        for kind, _label in User.Kind.choices:
            user = User(kind=kind)
            assert kontor.display(user, "kind") == user.get_kind_display()
        for office, _label in Department.Office.choices:
            department = Department(office=office)
            assert kontor.display(department, "office") == department.get_office_display()
        assert kontor.display(User(kind="robot"), "kind") == "robot"


def test_plain_writes_quantities_and_rates_as_people_do():
    from decimal import Decimal

    from django.utils import translation

    from core.templatetags.kontor import plain

    with translation.override("en"):
        assert [plain(Decimal(v)) for v in ("3.000", "1.500", "25.00", "12.5")] == ["3", "1.5", "25", "12.5"]
    with translation.override("sv"):
        assert plain(Decimal("1.500")) == "1,5"
    assert plain(None) == "—"
