"""What a column's name says about its values: the rules that make them realistic, as data tables.

A text column named ``email`` gets emails, ``name`` a person's name in a table
of people; a numeric ``price`` gets prices, ``year`` years; a date ``born``
birth dates.  Dates come from fixed windows, never relative to today, so a
seed gives the same rows on any day.  Every generator draws from the Faker
instance it is given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["DATES", "TIMESTAMPS", "date_window", "number_rule", "sentence", "text_rule", "uniquify", "word",
           "words"]

_PERSON_TABLES = re.compile(
    r"user|person|people|author|actor|director|customer|client|employee|member|student|teacher|player|"
    r"artist|owner|contact|patient|staff|agent|manager|writer|singer|driver|friend|account|profile|"
    r"character|reviewer|speaker|guest|host|worker|doctor")
_COMPANY_TABLES = re.compile(
    r"compan|organi[sz]ation|vendor|supplier|brand|publisher|manufacturer|studio|firm|business|team|club|"
    r"store|shop|shelter|school|universit|bank|agenc")
_PLACE_TABLES = re.compile(r"cit(y|ies)|town|place|location|venue|region")
_COUNTRY_TABLES = re.compile(r"countr|nation")


def _name_for_table(fake: Faker, table: str) -> str:
    """A ``name`` column's value: a person's, a company's, a place's, or a few capitalised words."""
    if _PERSON_TABLES.search(table):
        return fake.name()
    if _COMPANY_TABLES.search(table):
        return fake.company()
    if _COUNTRY_TABLES.search(table):
        return fake.country()
    if _PLACE_TABLES.search(table):
        return fake.city()
    return _title(fake, 2, 3)


def words(fake: Faker, count: int) -> list[str]:
    """``count`` words of Faker's lorem list: its own ``words()`` builds a distribution per call."""
    return fake.random.choices(fake.get_words_list(), k=count)


def word(fake: Faker) -> str:
    return fake.random.choice(fake.get_words_list())


def _title(fake: Faker, low: int, high: int) -> str:
    return " ".join(w.capitalize() for w in words(fake, fake.random.randint(low, high)))


def sentence(fake: Faker) -> str:
    return " ".join(words(fake, fake.random.randint(1, 3))).capitalize()


_GENRES = ("action", "adventure", "animation", "biography", "comedy", "crime", "documentary", "drama",
           "family", "fantasy", "history", "horror", "music", "mystery", "romance", "science fiction",
           "thriller", "war", "western")

TextRule = Callable[["Faker", str], str]

# Text columns by name: (pattern on the column's name, generator given the table's name).  The first
# match wins; names are compared in lower case with their words separated by "_".
_TEXT_RULES: tuple[tuple[str, TextRule], ...] = (
    (r"e_?mail", lambda f, t: f.email()),
    (r"first_?name|given_?name|forename", lambda f, t: f.first_name()),
    (r"last_?name|surname|family_?name", lambda f, t: f.last_name()),
    (r"middle_?name", lambda f, t: f.first_name()),
    (r"user_?name|login|handle|nick|screen_?name|author|username|owner|created_by|updated_by",
     lambda f, t: f.user_name()),
    (r"full_?name|display_?name|character|contact_?name|person", lambda f, t: f.name()),
    (r"company|employer|organi[sz]ation|publisher|brand|vendor|supplier|studio", lambda f, t: f.company()),
    (r"^name$|_name$|^label$", _name_for_table),
    (r"title|headline|subject|caption", lambda f, t: _title(f, 2, 4)),
    (r"phone|mobile|fax|tel$|telephone", lambda f, t: f.phone_number()),
    (r"url|website|homepage|link|href", lambda f, t: f.url()),
    (r"domain|host_?name", lambda f, t: f.domain_name()),
    (r"avatar|image|photo|picture|thumbnail|logo", lambda f, t: f.image_url()),
    (r"street|address", lambda f, t: f.street_address()),
    (r"city|town", lambda f, t: f.city()),
    (r"country_?code|country_?iso", lambda f, t: f.country_code()),
    (r"countr|nationality", lambda f, t: f.country()),
    (r"state|province|region", lambda f, t: f.state()),
    (r"zip|postal|postcode", lambda f, t: f.postcode()),
    (r"lang", lambda f, t: f.language_code()),
    (r"currency", lambda f, t: f.currency_code()),
    (r"colou?r", lambda f, t: f.color_name()),
    (r"job|occupation|profession|position", lambda f, t: f.job()),
    (r"slug", lambda f, t: f.slug()),
    (r"password|passwd|secret|token|hash", lambda f, t: f.password(length=16)),
    (r"file_?name|path", lambda f, t: f.file_name()),
    (r"^ip$|ip_?addr", lambda f, t: f.ipv4()),
    (r"isbn", lambda f, t: f.isbn13()),
    (r"description|body|text|content|comment|note|summary|bio|about|message|review|details|abstract",
     lambda f, t: " ".join(words(f, f.random.randint(6, 14))).capitalize() + "."),
    (r"genre", lambda f, t: f.random.choice(_GENRES)),
    (r"categor|tag|kind|type|keyword|topic|role", lambda f, t: word(f)),
    (r"gender|sex", lambda f, t: f.random.choice(("female", "male", "non-binary"))),
    (r"code|sku|ref", lambda f, t: f.bothify("??-####").upper()),
)

# Numeric columns by name: (pattern, low, high, decimal places).
_NUMBER_RULES: tuple[tuple[str, int, int, int], ...] = (
    (r"box_?office|revenue|gross|budget|income|turnover|sales", 100_000, 900_000_000, 2),
    (r"price|cost|amount|total|balance|fee|salary|wage|payment|charge|subtotal|tax|discount", 1, 500, 2),
    (r"year", 1950, 2025, 0),
    (r"age$", 18, 90, 0),
    (r"stars|rating", 1, 5, 0),
    (r"score|percent|pct", 0, 100, 0),
    (r"lat(itude)?$", -90, 90, 6),
    (r"lng$|lon(gitude)?$", -180, 180, 6),
    (r"minutes|duration|runtime|length", 5, 240, 0),
    (r"quantity|qty|count|stock|number_of|size", 0, 500, 0),
    (r"weight|height|width|depth", 1, 200, 1),
)

# Date and time columns by name: (pattern, first day, last day).
_DATE_RULES: tuple[tuple[str, dt.date, dt.date], ...] = (
    (r"born|birth|dob", dt.date(1940, 1, 1), dt.date(2005, 12, 31)),
    (r"expir|due|until|ends?_|end$", dt.date(2025, 1, 1), dt.date(2030, 12, 31)),
)
DATES = (dt.date(2000, 1, 1), dt.date(2025, 12, 31))
TIMESTAMPS = (dt.date(2015, 1, 1), dt.date(2025, 12, 31))

_RULES: dict[str, tuple[tuple[Any, ...], ...]] = {
    "text": _TEXT_RULES, "number": _NUMBER_RULES, "date": _DATE_RULES}



@lru_cache(maxsize=4096)
def _matching(rules: str, column: str) -> tuple[Any, ...] | None:
    """The first rule of the named table whose pattern the column's name matches."""
    name = column.lower()
    return next((r for r in _RULES[rules] if re.search(r[0], name)), None)


def text_rule(column: str) -> TextRule | None:
    """The generator of a text column with this name, given Faker and the table's name."""
    rule = _matching("text", column)
    return rule[1] if rule else None


def number_rule(column: str) -> tuple[int, int, int] | None:
    """(low, high, decimal places) for a numeric column with this name."""
    rule = _matching("number", column)
    return (rule[1], rule[2], rule[3]) if rule else None


def date_window(column: str, default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The first and last day for a date or timestamp column with this name."""
    rule = _matching("date", column)
    return (rule[1], rule[2]) if rule else default


def uniquify(value: str, n: int, max_length: int | None) -> str:
    """``value`` made distinct by ``n``: before the @ of an email, after a space in words, appended
    otherwise; cut so that it still fits ``max_length``."""
    suffix = str(n)
    if "@" in value:
        local, _, domain = value.partition("@")
        room = None if max_length is None else max_length - len(domain) - 1 - len(suffix)
        return f"{local[:room] if room is not None else local}{suffix}@{domain}"
    if " " in value:
        suffix = " " + suffix
    room = None if max_length is None else max(0, max_length - len(suffix))
    return (value[:room] if room is not None else value) + suffix
