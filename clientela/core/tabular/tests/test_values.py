"""Cell values: dates, numbers and yes/no as people type them, and messages that say what's wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientela.core.tabular import (
    guess_decimal_comma,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
)

MESES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
MONTHS = "January February March April May June July August September October November December"
SPANISH = MESES.split()
ENGLISH = MONTHS.split()
EXCEL_EPOCH = date(1899, 12, 30)

dates = st.dates(min_value=date(1900, 3, 1), max_value=date(2199, 12, 31))


def day_first_formats(d: date) -> list[str]:
    return [
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day}/{d.month}/{d.year}",
        f"{d.day:02d}-{d.month:02d}-{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        d.isoformat(),
        f"{d.isoformat()}T00:00:00",
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.day} de {SPANISH[d.month - 1]} de {d.year}",
        f"{d.day:02d}-{SPANISH[d.month - 1][:3]}-{d.year}",
        f"{d.day} {SPANISH[d.month - 1].upper()} {d.year}",
        f"{ENGLISH[d.month - 1]} {d.day}, {d.year}",
        f"{d.day} {ENGLISH[d.month - 1][:3]} {d.year}",
        f"{d.year}{d.month:02d}{d.day:02d}",
    ]


@given(dates)
def test_it_round_trips_dates_in_every_written_form(d):
    for text in day_first_formats(d):
        assert parse_date(text) == d, text


@given(dates)
def test_it_round_trips_month_first_dates_when_told(d):
    assert parse_date(f"{d.month:02d}/{d.day:02d}/{d.year}", day_first=False) == d


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2029, 12, 31)))
def test_it_round_trips_two_digit_years_in_the_excel_window(d):
    assert parse_date(f"{d.day}/{d.month}/{d.year % 100:02d}") == d


@given(st.dates(min_value=date(1900, 3, 1), max_value=EXCEL_EPOCH + timedelta(days=80000)))
def test_it_round_trips_excel_serial_numbers(d):
    serial = (d - EXCEL_EPOCH).days
    assume(not 1900 <= serial <= 2100)  # read as a year typed alone; see the next test
    assert parse_date(str(serial)) == d


def test_it_rejects_a_year_typed_alone_instead_of_reading_a_serial():
    with pytest.raises(ValueError, match=r"^“1985” looks like a year alone; write the whole date"):
        parse_date("1985")
    assert parse_date("1985.5") is not None  # a fraction means a real serial


def test_it_reads_early_excel_serials_before_the_1900_leap_bug():
    assert parse_date("1") == date(1900, 1, 1)
    assert parse_date("59") == date(1900, 2, 28)
    assert parse_date("61") == date(1900, 3, 1)
    assert parse_date("45000") == date(2023, 3, 15)


@given(
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2199, 12, 31)).map(
        lambda m: m.replace(microsecond=0)
    )
)
def test_it_round_trips_datetimes(moment):
    hour12 = moment.hour % 12 or 12
    suffix = "a. m." if moment.hour < 12 else "p. m."
    texts = [
        f"{moment:%d/%m/%Y %H:%M:%S}",
        moment.isoformat(),
        moment.isoformat(sep=" "),
        f"{moment:%d/%m/%Y} {hour12}:{moment:%M:%S} {suffix}",
        f"{moment.day} de {SPANISH[moment.month - 1]} de {moment.year} {moment:%H:%M:%S}",
    ]
    for text in texts:
        assert parse_datetime(text) == moment, text


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)), st.integers(0, 86399))
def test_it_round_trips_excel_serials_with_a_time_part(d, seconds):
    serial = (d - EXCEL_EPOCH).days + seconds / 86400

    moment = parse_datetime(repr(serial))

    assert moment == datetime.combine(d, datetime.min.time()) + timedelta(seconds=seconds)


def test_it_makes_datetimes_aware_when_asked():
    bogota = ZoneInfo("America/Bogota")

    assert parse_datetime("15/03/2024 10:30") == datetime(2024, 3, 15, 10, 30)
    assert parse_datetime("15/03/2024 10:30", tz=bogota) == datetime(
        2024, 3, 15, 10, 30, tzinfo=bogota
    )
    assert parse_datetime("2024-03-15T15:30:00Z", tz=bogota) == datetime(
        2024, 3, 15, 10, 30, tzinfo=bogota
    )
    assert parse_datetime("2024-03-15T10:30:00-05:00") == datetime(2024, 3, 15, 15, 30, tzinfo=UTC)
    with_offset = parse_datetime("2024-03-15 10:30+0530")
    assert with_offset is not None
    assert with_offset.utcoffset() == timedelta(hours=5, minutes=30)
    assert getattr(parse_datetime("15/03/2024"), "tzinfo", "missing") is None
    assert getattr(parse_datetime("2024-03-15T10:30:00Z"), "tzinfo", None) == UTC


def test_it_returns_none_for_blank_cells():
    for parser in (parse_date, parse_datetime, parse_decimal, parse_int, parse_bool):
        assert parser("") is None
        assert parser("   ") is None
        assert parser(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2020", "“31/02/2020” is not a valid date: month 2 of 2020 has 29 days."),
        ("29/02/2023", "“29/02/2023” is not a valid date: month 2 of 2023 has 28 days."),
        ("31/04/2024", "“31/04/2024” is not a valid date: month 4 of 2024 has 30 days."),
        (
            "12/31/2024",
            "“12/31/2024” is not a valid date: there is no month 31 "
            "(dates are read as day/month/year).",
        ),
        ("60", "“60” is not a valid date: month 2 of 1900 has 28 days."),
        ("mañana", "“mañana” is not a date; write it as dd/mm/yyyy, for example 31/12/2024."),
        ("123456", "“123456” is not a date; write it as dd/mm/yyyy, for example 31/12/2024."),
        ("2024", "“2024” looks like a year alone; write the whole date, for example 31/12/2024."),
        (
            "3 de marzo",
            "“3 de marzo” is not a date; write it as dd/mm/yyyy, for example 31/12/2024.",
        ),
        ("0", "“0” is not a date; write it as dd/mm/yyyy, for example 31/12/2024."),
    ],
)
def test_it_explains_bad_dates(text, message):
    with pytest.raises(ValueError, match=r"^“") as error:
        parse_date(text)

    assert str(error.value) == message


def test_it_explains_bad_month_first_dates_and_times():
    with pytest.raises(ValueError, match=r"read as month/day/year"):
        parse_date("31/12/2024", day_first=False)
    with pytest.raises(ValueError, match=r"mm/dd/yyyy, for example 12/31/2024"):
        parse_date("soon", day_first=False)
    with pytest.raises(
        ValueError, match=r"“15/03/2024 25:00” has an invalid time; write it as hh:mm"
    ):
        parse_datetime("15/03/2024 25:00")
    with pytest.raises(ValueError, match=r"invalid time"):
        parse_datetime("15/03/2024 13:00 p. m.")


def grouped(number: Decimal, thousands: str, decimal: str) -> str:
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + thousands.join(groups) + (decimal + fraction if fraction else "")


amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)
whole_amounts = st.integers(min_value=-(10**12), max_value=10**12).map(Decimal)


@given(st.one_of(amounts, whole_amounts))
def test_it_round_trips_decimal_comma_numbers(number):
    es = grouped(number, ".", ",")
    texts = [es, es.replace(".", ""), grouped(number, " ", ","), grouped(number, "\u00a0", ",")]
    for text in texts:
        assert parse_decimal(text) == number, text
        assert parse_decimal(text, decimal_comma=True) == number, text
    assert parse_decimal(f"$ {es}") == number
    assert parse_decimal(f"COP {es}") == number
    assert parse_decimal(f"{es} €") == number
    if number < 0:
        assert parse_decimal(f"({grouped(-number, '.', ',')})") == number
        assert parse_decimal(f"$ {grouped(-number, '.', ',')}-") == number


@given(st.one_of(amounts, whole_amounts))
def test_it_round_trips_decimal_point_numbers_when_told(number):
    en = grouped(number, ",", ".")
    for text in (en, en.replace(",", ""), f"USD {en}", f"US$ {en}", f"{en} USD"):
        assert parse_decimal(text, decimal_comma=False) == number, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1 234,5", "1234.5"),
        ("$ 1.200.000", "1200000"),
        ("COP 1.200.000", "1200000"),
        ("USD 45.50", "45.50"),
        ("-45", "-45"),
        ("−45,5", "-45.5"),
        ("(1.234,50)", "-1234.50"),
        ("1.234,50-", "-1234.50"),
        ("$-1.200", "-1200"),
        ("+7", "7"),
        ("0,5", "0.5"),
        (",5", "0.5"),
        ("0.125", "0.125"),
        ("1234.567", "1234.567"),
        ("3,00123E+09", "3001230000"),
        ("1'234.50", "1234.50"),
    ],
)
def test_it_parses_decimals_as_written(text, expected):
    assert parse_decimal(text) == Decimal(expected)


def test_it_resolves_the_ambiguous_thousands_case_with_the_hint():
    # Without a hint, es-CO: point groups thousands, comma is decimal.
    assert parse_decimal("1.234") == Decimal("1234")
    assert parse_decimal("1,234") == Decimal("1.234")
    assert parse_decimal("1.234", decimal_comma=True) == Decimal("1234")
    assert parse_decimal("1.234", decimal_comma=False) == Decimal("1.234")
    assert parse_decimal("1,234", decimal_comma=False) == Decimal("1234")
    # Not ambiguous, so the hint does not matter.
    assert parse_decimal("1.5", decimal_comma=True) == Decimal("1.5")
    assert parse_decimal("12,50", decimal_comma=False) == Decimal("12.50")


def test_it_guesses_the_decimal_separator_of_a_column():
    assert guess_decimal_comma(["1.234", "12,5", "", None]) is True
    assert guess_decimal_comma(["1.234", "12.5", "1,234,567"]) is False
    assert guess_decimal_comma(["1.234", "1,234", "17"]) is None
    assert guess_decimal_comma(["$ 1.200.000", "(3.400.000)"]) is True


@pytest.mark.parametrize(
    "text", ["12 kg", "1.2.3", "1.234.5", "--5", "abc", "1,23,456", "15%", "$"]
)
def test_it_explains_bad_numbers(text):
    with pytest.raises(ValueError, match="is not a number") as error:
        parse_decimal(text)

    assert str(error.value) == (
        f"“{text}” is not a number; write it like 1.234.567,89 or 1234567.89."
    )


def test_it_parses_whole_numbers():
    assert parse_int("1.234") == 1234
    assert parse_int("1.234.567") == 1234567
    assert parse_int("12,0") == 12
    assert parse_int("3001234567") == 3001234567
    assert parse_int("-7") == -7
    with pytest.raises(ValueError, match=r"^“12,5” is not a whole number\.$"):
        parse_int("12,5")
    with pytest.raises(ValueError, match="is not a number"):
        parse_int("doce")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_it_round_trips_whole_numbers(number):
    assert parse_int(grouped(Decimal(number), ".", ",")) == number
    assert parse_int(str(number)) == number


@pytest.mark.parametrize(
    "text", ["sí", "Si", "SÍ", "s", "yes", "Y", "true", "TRUE", "verdadero", "1", "x", "X", "✓"]
)
def test_it_reads_yes(text):
    assert parse_bool(f" {text} ") is True


@pytest.mark.parametrize("text", ["no", "NO", "n", "false", "False", "falso", "FALSO", "0", "f"])
def test_it_reads_no(text):
    assert parse_bool(text) is False


def test_it_explains_a_bad_yes_or_no():
    with pytest.raises(ValueError, match="quizá") as error:
        parse_bool("quizá")

    assert (
        str(error.value)
        == "“quizá” is not yes or no; write sí or no, verdadero or falso, or 1 or 0."
    )


def test_it_shortens_long_values_in_messages():
    with pytest.raises(ValueError, match="is not a number") as error:
        parse_decimal("x" * 500)

    assert len(str(error.value)) < 140
    assert "…" in str(error.value)
