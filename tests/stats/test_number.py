"""charts.number: the pages' figures read as Babel writes them, in each language the interface offers."""

import pytest
from flask_babel import force_locale, format_decimal

from docflow.stats import charts

VALUES = [0, 7, 12, 999, 1000, 1234, 10_000, 123_456, 1_234_567, 1_000_000_000, -1, -1234, -1_234_567,
          0.5, -0.5, 12.5, 99.9, 100.0, 1234.5, 1234.56, 12_345.678, -1234.5, 33.33333, 1e16, 2.0**60]


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_number_reads_as_babel_writes_it(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for value in VALUES:
            rounded = round(value, 1) if isinstance(value, float) and not value.is_integer() else (
                int(value) if isinstance(value, float) else value)
            assert charts.number(value) == format_decimal(rounded), value
        assert charts.number(None) == "–"


def test_number_in_vietnamese_and_english(app):
    with app.test_request_context("/"):
        with force_locale("vi"):
            assert (charts.number(1234567), charts.number(1234.5), charts.number(-0.5)) == ("1.234.567", "1.234,5",
                                                                                            "-0,5")
        with force_locale("en"):
            assert (charts.number(1234567), charts.number(1234.5)) == ("1,234,567", "1,234.5")


def test_number_outside_a_request():
    assert charts.number(1234567) == "1,234,567"
