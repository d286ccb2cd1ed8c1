"""Dates and datelines as English news writes them.

Finds dates in running text ("Sept. 7, 2018", "09 September, 2018",
"2018/9/7", "2018-09-07", "Thursday, June 27, 2019", "Aug. 31"), reads wire
datelines ("GENEVA, Sept 7 (Reuters) -", "MOSCOW, Aug. 31 (Xinhua) --",
"BEIRUT (AP) —") with their agency, and "published" lines ("Publish Date
:2018/9/7", "Published: 7 September 2018"). Regular expressions only find
where a date stands; python-dateutil reads it (it knows "Sept", "Aug." and
weekday names), with a sentinel year so that a date written without one is
known to lack it and can take the year of another date in the same article.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from dateutil import parser as date_parser

logger = logging.getLogger(__name__)

NO_YEAR = 1  # dateutil fills a missing year from its default; year 1 never occurs in news
_SENTINEL = dt.datetime(NO_YEAR, 1, 1)
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]|20)\d\d"
_TIME = r"(?:\s*(?:,|-|–|/|at)?\s*\d{1,2}[:.]\d\d(?::\d\d)?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s+(?:GMT|UTC|[A-Z]{2,4}T))?)"

# Where a date stands in text: month-name forms (year optional) and numeric forms (year first).
DATE_PATTERN = re.compile(
    rf"\b{_WEEKDAY}?(?:"
    rf"(?P<md>{_MONTH}\s+{_DAY}\b(?:,?\s+(?P<md_year>{_YEAR})\b)?)"
    rf"|(?P<dm>{_DAY}\s+{_MONTH}(?:,?\s+(?P<dm_year>{_YEAR})\b)?)"
    rf"|(?P<iso>{_YEAR}[-/.](?:0?[1-9]|1[0-2])[-/.](?:[0-2]?\d|3[01]))\b"
    rf"){_TIME}?",
)

# A wire dateline opening a story: place, optional date, optional agency, then a dash.
DATELINE_PATTERN = re.compile(
    r"^(?P<place>[A-Z][A-Za-z’'.\- ]{1,30}?(?:,\s*[A-Z][A-Za-z’'.\- ]{1,25}?)?)"
    rf"(?:,\s*(?P<date>{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?))?"
    r"(?:\s*\((?P<agency>[A-Za-z][A-Za-z&.,\- ]{0,40})\)|,\s*(?P<bare_agency>[A-Z][A-Za-z]{1,15}))?"
    r"(?:\s*(?:--|[-–—])|\s+By\s+(?P<by>[A-Z][\w&.' ]{1,40}?)\s+(?:correspondent|staff(?: writer)?|reporter|bureau)\b)"
    r"\s*(?=\S)"
)

# A dateline that is only the agency: "(Reuters) - …".
AGENCY_ONLY_PATTERN = re.compile(r"^\((?P<agency>[A-Z][A-Za-z&. ]{0,30})\)\s*(?:--|[-–—])\s*(?=\S)")

# Labels that introduce a page's own date ("Published: …", "Publish Date :2018/9/7", "date 2018-09-07").
PUBLISHED_LABEL = re.compile(
    r"^\W*(?:(?:first\s+)?published(?:\s+on)?|publish(?:ed)?\s+date|posted(?:\s+on)?|"
    r"updated(?:\s+on)?|last\s+(?:updated|modified)(?:\s+on)?|modified(?:\s+on)?|release\s+date|date(?:line)?)\s*[:\-–]?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundDate:
    """A date written in text: where it stands and what it says (``year`` is None when not written)."""

    start: int
    end: int
    month: int
    day: int
    year: int | None

    def on(self, year: int | None = None) -> dt.date | None:
        """The date, completing a missing year with ``year``; None when no year is known or it is invalid."""
        chosen = self.year or year
        if chosen is None:
            return None
        try:
            return dt.date(chosen, self.month, self.day)
        except ValueError:
            return None


@dataclass(frozen=True)
class Dateline:
    """A wire dateline: "GENEVA, Sept 7 (Reuters) -", "Howzeh Press (Iran, Tehran) -", "Baku, Sep. 7 By X correspondent"."""

    place: str
    date: FoundDate | None
    agency: str
    end: int  # where the story's own words start


def _read(span: str) -> dt.datetime | None:
    try:
        return date_parser.parse(span, default=_SENTINEL)
    except (ValueError, OverflowError):
        return None


def find_dates(text: str) -> list[FoundDate]:
    """Every readable date in ``text``, in order."""
    found: list[FoundDate] = []
    for match in DATE_PATTERN.finditer(text):
        parsed = _read(match.group("md") or match.group("dm") or match.group("iso"))  # weekday and time aside
        if parsed is None:
            continue
        year = None if parsed.year == NO_YEAR else parsed.year
        if year is not None and not EARLIEST_YEAR <= year <= LATEST_YEAR:
            continue
        found.append(FoundDate(match.start(), match.end(), parsed.month, parsed.day, year))
    return found


def parse_date(value: str | None) -> dt.date | None:
    """Read a date given on its own (front matter, page metadata): "2018-09-07", "7 September 2018"."""
    if not value or not value.strip():
        return None
    dates = find_dates(value.strip())
    date = dates[0].on() if dates else None
    if date is None:
        logger.warning("Ignoring unreadable date %r", value)
    return date


def read_dateline(paragraph: str) -> Dateline | None:
    """The dateline opening ``paragraph``, when it has one with a date or an agency (or a place in capitals)."""
    agency_only = AGENCY_ONLY_PATTERN.match(paragraph)
    if agency_only is not None:
        return Dateline(place="", date=None, agency=agency_only.group("agency").strip(), end=agency_only.end())
    match = DATELINE_PATTERN.match(paragraph)
    if match is None:
        return None
    place = match.group("place").strip()
    agency = (match.group("agency") or match.group("bare_agency") or match.group("by") or "").strip()
    if "," in agency:  # "Howzeh Press (Iran, Tehran) -": the agency stands outside, the place inside
        place, agency = agency, place
    date_text = match.group("date")
    if not (date_text or agency or (place.isupper() and len(place) > 2)):
        return None  # "Putin, Erdogan - …" is not a dateline
    dates = find_dates(date_text) if date_text else []
    return Dateline(place=place, date=dates[0] if dates else None, agency=agency, end=match.end())


@dataclass(frozen=True)
class PublishedDate:
    """A line that opens with the page's own date: "Publish Date :2018/9/7", "09 September, 2018 | World"."""

    date: FoundDate
    rest: str  # what follows the date on the line
    labelled: bool  # introduced by "Published", "Date" and the like


def published_date(line: str) -> PublishedDate | None:
    """The date a line opens with (after an optional "Published:" label), and the text after it."""
    label = PUBLISHED_LABEL.match(line)
    rest = line[label.end() :] if label else line
    dates = find_dates(rest)
    if not dates or dates[0].start > 0:
        return None
    return PublishedDate(dates[0], rest[dates[0].end :].strip(" ,|-–—:"), label is not None)


def year_of(dates: list[FoundDate]) -> int | None:
    """The year of the first date that has one, to complete yearless dates in the same article."""
    return next((found.year for found in dates if found.year), None)
