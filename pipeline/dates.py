"""Publication date of an Indonesian news page: which date, from where, and how sure.

Why a module of its own: news pages carry many dates (the site's "today" widget in the header,
related-article lists, a "Diperbarui" time, event dates in the text), and generic tools such as
htmldate are fooled by the header widget. We take the date from the most trustworthy place that
has one, in this order:

1. structured metadata: ``<meta property="article:published_time">``, ``meta[name=pubdate]`` and
   kin, ``itemprop=datePublished``  -> ``metadata``; JSON-LD ``datePublished`` -> ``jsonld``;
2. the site's own dateline, found structurally: the first date right after the article's title
   (the title element is the heading whose text is in ``og:title``/``<title>``), outside site
   headers, navigation, sidebars, related/popular/latest boxes, captions and embedded tweets.
   Other stories are recognised by form as well as by class name: a box opened by a related
   label ("Berita Terkait", "Terpopuler"), a list of headline links, a "Baca juga: <link>"
   line. A ``<time datetime>`` there -> ``metadata``; a date written as text -> ``text``;
   on a Blogger post page with no other dateline, its one day header ("Jumat, 08 Maret
   2024") above the post -> ``text``;
3. Indonesian date phrases in the first part of the clean text ("Senin (7/10/2019)",
   "Kamis, 29 Juli 2021 10:15 WIB", "21/6/2021") -> ``text``; year-less ones ("Kamis (29/7)")
   -> ``inferred`` (see :func:`infer_year`);
4. a date in the URL path (``/2019/10/07/``, Republika's ``/16/02/15/``) -> ``url``.

Candidates are found with our own regular expressions and decoded from the captured parts;
``dateparser`` (``languages=["id"]``, DMY) is only the fallback of :func:`parse_indonesian_date`
for strings our grammar does not cover: it costs milliseconds a call and must never scan a text.

The metadata value is cross-checked against the visible dateline, because Indonesian CMSs often
get the zone wrong: detik writes the WIB clock with a ``Z``, merdeka writes ``-07:00`` for WIB.
When both show the same day and clock, the dateline's written zone (WIB/WITA/WIT) wins; a UTC
value that is the same instant as a WIB dateline is re-expressed in WIB, so ``published_at``
keeps the page's own offset. A clock time without any zone is reported as a date only: guessing
WIB would be wrong by an hour or two for WITA/WIT regions.

An update stamp ("Diperbarui", "Update", "Terakhir diperbarui", in the date's own element or
just before it) is ``updated_at``, never ``published_at``. When it is the page's only date, the
publication stays unknown (or comes from the URL): the update is later than the publication,
and a confident wrong date is worse than none.

Sanity: dates after ``fetched_at`` + 1 day or before 1995 are rejected; a stated weekday that
contradicts its date demotes a text candidate below the URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import lxml.html

from pantau.pipeline.cleaning_rules import RELATED_LABELS

__all__ = [
    "DateResult",
    "as_aware",
    "MONTH_NAMES",
    "WEEKDAY_NAMES",
    "ZONES",
    "infer_year",
    "parse_feed_date",
    "parse_indonesian_date",
    "parse_listing_date",
    "parse_timestamp",
    "resolve_dates",
    "warm_up",
]

# --------------------------------------------------------------------------- vocabulary

ZONES: dict[str, tzinfo] = {
    "wib": timezone(timedelta(hours=7)),
    "wita": timezone(timedelta(hours=8)),
    "wit": timezone(timedelta(hours=9)),
    "gmt": UTC,
    "utc": UTC,
}
_INDONESIAN_OFFSETS = {timedelta(hours=h) for h in (7, 8, 9)}

_MONTHS: dict[str, int] = {}
for _n, _names in enumerate(
    [
        "januari january jan",
        "februari pebruari february feb",
        "maret march mar",
        "april apr",
        "mei may",
        "juni june jun",
        "juli july jul",
        "agustus august agu agt ags agst aug",
        "september sept sep",
        "oktober october okt oct",
        "november nopember nov nop",
        "desember december des dec",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _n

_WEEKDAYS: dict[str, int] = {}
for _n, _names in enumerate(
    [
        "senin monday",
        "selasa tuesday",
        "rabu wednesday",
        "kamis thursday",
        "jumat jum'at jum’at friday",
        "sabtu saturday",
        "minggu ahad sunday",
    ]
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _n


WEEKDAY_NAMES = tuple(_WEEKDAYS)  # every spelling of a weekday (Indonesian and English)
MONTH_NAMES = tuple(_MONTHS)  # every spelling of a month, abbreviations included


def _alt(words: list[str]) -> str:
    """Regex alternation, longest first so "Juni" is not read as "Jun" + "i"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_WD = rf"(?P<wd>{_alt(list(_WEEKDAYS))})(?:\s+(?:pagi|siang|sore|malam|dini\s+hari))?"
_MON = rf"(?P<mon>{_alt(list(_MONTHS))})\.?"
# A clock time glued to the date: "14:56 WIB", ", 15:13 WIB", "| 14:38 WIB", "- 15:56 wib",
# "pukul 10.15 WIB", "at 09:10 WIB". The (?!\d) keeps "1.229 Views" from reading as 1:22.
_CLOCK = (
    r"(?:\s*[,|\-–]?\s*(?:pukul|pkl\.?|jam|at)?\s*)"
    r"(?P<hh>[01]?\d|2[0-3])[:.](?P<mi>[0-5]\d)(?:[:.](?P<ss>[0-5]\d))?(?!\d)"
    r"(?:\s*(?P<tz>wita|wib|wit|gmt|utc)\b)?"
)
_LEAD = rf"(?:{_WD}\s*,?\s*)?"
_B = r"(?<![\w/.-])"  # no digit, letter, slash or dot just before a date

_DATE_PATTERNS: list[re.Pattern[str]] = [
    # Kamis, 29 Juli 2021 10:15 WIB / 20 Des 2021, 09:59 WIB / Kamis (29 Juli 2021)
    re.compile(
        rf"{_B}{_LEAD}\(?(?P<d>\d{{1,2}})\s+{_MON}\s*,?\s*(?P<y>(?:19|20)\d\d)\b\)?(?:{_CLOCK})?",
        re.I,
    ),
    # September 20, 2024 / December 20, 2021
    re.compile(
        rf"{_B}{_LEAD}{_MON}\s+(?P<d>\d{{1,2}})\s*,\s*(?P<y>(?:19|20)\d\d)\b(?:{_CLOCK})?", re.I
    ),
    # Senin (7/10/2019) 10.15 WIB / Kamis, 05/11/2015 10:08 WIB / 21/6/2021 / 22/10/2025 06:59
    re.compile(
        rf"{_B}{_LEAD}\(?(?P<d>\d{{1,2}})(?P<sep>[/-])(?P<m>\d{{1,2}})(?P=sep)"
        rf"(?P<y>(?:19|20)\d\d)(?!\d)\)?(?:{_CLOCK})?",
        re.I,
    ),
    # Senin (7/10/19): a two-digit year only in the weekday-and-brackets journalistic form
    re.compile(
        rf"{_B}{_WD}\s*,?\s*\((?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/(?P<y>\d\d)\)(?:{_CLOCK})?", re.I
    ),
    # Year-less: Kamis (29/7) / Selasa (6/12) pukul 10.00 WIB
    re.compile(rf"{_B}{_WD}\s*,?\s*\((?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})\)(?:{_CLOCK})?", re.I),
    # Year-less: Kamis, 29 Juli / Kamis (29 Juli)
    re.compile(
        rf"{_B}{_WD}\s*,?\s*\(?(?P<d>\d{{1,2}})\s+{_MON}\b\)?(?!\s*,?\s*\d)(?:{_CLOCK})?", re.I
    ),
]

# Units of a relative date ("2 jam lalu", and "2 hours ago" as WordPress themes print it):
# seconds each, and whether the result keeps a clock time (a day or more back is a day only).
_REL_UNITS: dict[str, tuple[int, bool]] = {}
for _secs, _exact, _names in [
    (1, True, "detik second seconds sec secs"),
    (60, True, "menit minute minutes min mins"),
    (3600, True, "jam hour hours"),
    (86400, False, "hari day days"),
    (7 * 86400, False, "minggu pekan week weeks"),
    (30 * 86400, False, "bulan month months"),
    (365 * 86400, False, "tahun year years"),
]:
    for _name in _names.split():
        _REL_UNITS[_name] = (_secs, _exact)
_RELATIVE = re.compile(
    rf"\b(?:(?P<n>\d+|se|satu)\s*(?P<unit>{_alt(list(_REL_UNITS))})"
    r"\s+(?:yang\s+)?(?:lalu|ago)|(?P<word>kemarin|hari\s+ini|baru\s+saja))\b",
    re.I,
)
_UPDATE_LABEL = re.compile(
    r"^\W*(?:terakhir\s+)?(?:diperbaharui|diperbarui|pembaruan|update[d]?|diupdate|"
    r"last\s+updated?|modified)\b",
    re.I,
)
# the same labels ending a text: what stands right before the date it labels
_UPDATE_LABEL_END = re.compile(
    r"\b(?:terakhir\s+)?(?:diperbaharui|diperbarui|pembaruan|update[d]?|diupdate|"
    r"last\s+updated?|modified)\s*(?:pada|on|at)?\s*[:|\-–]?\s*$",
    re.I,
)
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:\s*T?\s*(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?$",
    re.I,
)

MIN_DATE = date(1995, 1, 1)
FRESH_DAYS = 45  # a year-less date this close before the crawl is taken as current news
LOOKBACK_YEARS = 11  # longest gap between two years giving one day/month the same weekday


# --------------------------------------------------------------------------- data shapes


@dataclass
class DateResult:
    """What the archive stores about an article's dates (ISO 8601 strings)."""

    published_at: str | None
    source: str | None  # metadata | jsonld | text | url | inferred; None with no date
    updated_at: str | None = None


@dataclass(frozen=True)
class _Stamp:
    """A date as the page states it: a day, maybe a clock time, maybe a zone."""

    day: date
    clock: time | None = None  # local wall-clock time, as written
    tz: tzinfo | None = None
    weekday_ok: bool | None = None  # None: no weekday stated
    yearless: bool = False

    @property
    def precision(self) -> int:
        return 0 if self.clock is None else (1 if self.tz is None else 2)

    def aware(self) -> datetime | None:
        if self.clock is None or self.tz is None:
            return None
        return datetime.combine(self.day, self.clock, self.tz)

    def iso(self) -> str:
        """ISO text: full timestamp with offset when both are known, else the day only."""
        dt = self.aware()
        return dt.isoformat() if dt is not None else self.day.isoformat()

    def with_tz(self, tz: tzinfo) -> _Stamp:
        return _Stamp(self.day, self.clock, tz, self.weekday_ok, self.yearless)

    def in_tz(self, tz: tzinfo) -> _Stamp:
        """The same instant on another clock."""
        dt = self.aware()
        assert dt is not None
        local = dt.astimezone(tz)
        return _Stamp(local.date(), local.time().replace(tzinfo=None), tz, self.weekday_ok)

    def same_clock(self, other: _Stamp) -> bool:
        """Same day and same hh:mm as written (zones aside)."""
        return (
            self.day == other.day
            and self.clock is not None
            and other.clock is not None
            and (self.clock.hour, self.clock.minute) == (other.clock.hour, other.clock.minute)
        )


def _stamp_from_datetime(dt: datetime) -> _Stamp:
    return _Stamp(dt.date(), dt.time().replace(tzinfo=None, microsecond=0), dt.tzinfo)


# --------------------------------------------------------------------------- parsing strings


def _norm_space(s: str) -> str:
    return " ".join(s.replace("\xa0", " ").split())


def _stamp_from_match(m: re.Match[str]) -> _Stamp | None:
    """Decode one regex match into a stamp (year-less ones get year 1 and yearless=True)."""
    g = m.groupdict()
    try:
        day = int(g["d"])
        month = _MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
        if g.get("y"):
            year = int(g["y"])
            if year < 100:
                year += 2000 if year < 70 else 1900
            yearless = False
        else:
            year, yearless = 2000, True  # a leap year, so 29/2 stays representable
        d = date(year, month, day)
    except (ValueError, KeyError):
        return None
    clock = tz = None
    if g.get("hh") is not None:
        clock = time(int(g["hh"]), int(g["mi"]), int(g["ss"] or 0))
        tz = ZONES.get((g.get("tz") or "").lower())
    weekday_ok = None
    if g.get("wd"):
        wd = _WEEKDAYS[g["wd"].lower()]
        weekday_ok = None if yearless else d.weekday() == wd
        if yearless:  # keep the stated weekday for year inference
            return _Yearless(d, clock, tz, None, True, wd)
    return _Stamp(d, clock, tz, weekday_ok, yearless)


@dataclass(frozen=True)
class _Yearless(_Stamp):
    """A year-less date with the weekday the page named for it."""

    weekday: int | None = None


def _find_dates(text: str, limit: int | None = None) -> list[tuple[int, _Stamp]]:
    """All explicit dates in ``text`` (first ``limit`` chars), in order, overlaps resolved."""
    if limit is not None:
        text = text[:limit]
    found: list[tuple[int, int, _Stamp]] = []
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(text):
            st = _stamp_from_match(m)
            if st is not None:
                found.append((m.start(), m.end(), st))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[tuple[int, _Stamp]] = []
    last_end = -1
    for start, end, st in found:
        if start < last_end:
            continue  # inside a longer match already taken
        out.append((start, st))
        last_end = end
    return out


def _relative(s: str, fetched_at: datetime) -> _Stamp | None:
    """ "2 jam lalu", "3 hari yang lalu", "kemarin" against the crawl time."""
    m = _RELATIVE.search(s)
    if m is None:
        return None
    base = fetched_at
    if m.group("word"):
        word = m.group("word").lower()
        if word == "kemarin":
            return _Stamp((base - timedelta(days=1)).date())
        if word.startswith("hari"):
            return _Stamp(base.date())
        return _stamp_from_datetime(base)  # baru saja
    back = _relative_offset(m)
    if _REL_UNITS[m.group("unit").lower()][1]:
        return _stamp_from_datetime((base - back).replace(microsecond=0))
    return _Stamp((base - back).date())  # a day at best: no clock time


def _relative_offset(m: re.Match[str]) -> timedelta:
    """How far back a numeric `_RELATIVE` match ("sejam lalu", "3 hari yang lalu") points."""
    n = m.group("n").lower()
    count = 1 if n in ("se", "satu") else int(n)
    return timedelta(seconds=count * _REL_UNITS[m.group("unit").lower()][0])


def _parse_machine(s: str) -> _Stamp | None:
    """Machine-readable values: ISO 8601 (incl. "+0700", "2015-11-05 T10:08:58Z"), RFC 2822."""
    s = s.strip()
    if not s:
        return None
    m = _ISO.match(s)
    if m:
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            if m["hh"] is None:
                return _Stamp(day)
            clock = time(int(m["hh"]), int(m["mi"]), int(m["ss"] or 0))
        except ValueError:
            return None
        tz = None
        if m["tz"]:
            raw = m["tz"].upper()
            if raw == "Z":
                tz = UTC
            else:
                sign = -1 if raw[0] == "-" else 1
                digits = raw[1:].replace(":", "")
                hours, minutes = int(digits[:2]), int(digits[2:] or 0)
                tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return _Stamp(day, clock, tz)
    if re.match(r"^[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}", s):
        try:
            return _stamp_from_datetime(parsedate_to_datetime(s))
        except (TypeError, ValueError):
            return None
    if re.fullmatch(r"\d{10}(\d{3})?", s):  # epoch seconds / milliseconds
        secs = int(s[:10])
        return _stamp_from_datetime(datetime.fromtimestamp(secs, UTC))
    return None


def _parse_any(s: str, fetched_at: datetime | None) -> _Stamp | None:
    """Machine format, then our Indonesian grammar, then relative phrases."""
    s = _norm_space(s)
    st = _parse_machine(s)
    if st is not None:
        return st
    hits = _find_dates(s)
    if hits:
        return hits[0][1]
    if fetched_at is not None:
        return _relative(s, fetched_at)
    return None


# --------------------------------------------------------------------------- aware datetimes
# What discovery (feeds, sitemaps, listing pages) needs: one aware datetime per string, from the
# same grammar as the article dates. ONE rule for a clock time without a zone on an Indonesian
# site: it is WIB, the zone of most newsrooms and of the CMSs' defaults; a day without a clock
# is its midnight WIB. `as_aware` is that rule. (resolve_dates stores such an article date as a
# day only, because `published_at` must not claim a zone the page never gave; whoever needs an
# instant from `parse_indonesian_date` applies `as_aware`.)

WIB = ZONES["wib"]
NAIVE_TZ = WIB
_ISO_ANYWHERE = re.compile(_ISO.pattern.removeprefix("^").removesuffix("$"), re.I)
_REL_WORDS = (  # a listing's "just now" words, most specific first, with their offset
    (re.compile(r"\b(?:baru saja|just now)\b"), timedelta(0)),
    (re.compile(r"\b(?:kemarin|yesterday)\b"), timedelta(days=1)),
    (re.compile(r"\b(?:hari ini|today)\b"), timedelta(0)),
)
_REL_WORD_CLOCK = re.compile(
    r"\b(?:baru saja|just now|kemarin|yesterday|hari ini|today)\s*,?\s*\d{1,2}[:.]\d{2}"
)
_WRITTEN_ZONE = re.compile(r"\b(wita|wib|wit)\b", re.I)


def as_aware(value: datetime | date) -> datetime:
    """An instant for a parsed date: a naive clock time is WIB, a bare day is midnight WIB."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=NAIVE_TZ)
    return datetime.combine(value, time(0), NAIVE_TZ)


def _aware(st: _Stamp) -> datetime:
    return as_aware(datetime.combine(st.day, st.clock or time(0), st.tz))


def parse_timestamp(text: str | None) -> datetime | None:
    """A machine-written date: ISO 8601 / W3C (sitemaps, `<time datetime>`, the archive's own
    ISO strings), RFC 2822, epoch seconds; also an ISO date inside other text. Aware."""
    if not text:
        return None
    s = _norm_space(text)
    dt = _parse_rfc822(s)
    if dt is not None:
        return dt
    st = _parse_machine(s)
    if st is None:
        m = _ISO_ANYWHERE.search(s)
        st = _parse_machine(m.group(0)) if m else None
    return _aware(st) if st is not None else None


def _parse_rfc822(s: str) -> datetime | None:
    """RFC 822/2822 ("Mon, 04 Mar 2024 10:15:00 +0700", weekday optional), aware: "-0000" is
    UTC, a zone name RFC 822 does not know is read from the zone table ("WITA")."""
    try:
        dt = parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is not None and dt.tzinfo is None:
        zone = _WRITTEN_ZONE.search(s)
        tz = ZONES[zone.group(1).lower()] if zone else (UTC if "-0000" in s else NAIVE_TZ)
        dt = dt.replace(tzinfo=tz)
    return dt


def parse_feed_date(text: str | None) -> datetime | None:
    """An RSS `pubDate` (RFC 822), an Atom/ISO 8601 date, or an Indonesian date as some feeds
    write it ("Senin, 12 Februari 2024 10:15 WIB"). Aware."""
    return parse_timestamp(text) or parse_listing_date(text, None)


def parse_listing_date(text: str | None, now: datetime | None) -> datetime | None:
    """A date as listing pages print it next to a link: "15 menit lalu", "2 minggu lalu",
    "kemarin", "Senin, 4 Maret 2024 10:15 WIB", "12/02/2024", "Kamis (29/7)". Relative and
    year-less ones need `now` (aware); without it they give None. Aware."""
    if not text:
        return None
    low = _norm_space(text).lower()
    if now is not None:
        m = next((m for m in _RELATIVE.finditer(low) if m.group("n")), None)
        if m is not None:  # "... Hari Ini ... 4 bulan lalu": the number, not the headline word
            return now - _relative_offset(m)
        # "kemarin"/"hari ini" are dates only as a short label ("Kemarin, 10:15"): headlines
        # say them all the time ("Harga Emas Hari Ini ...")
        if len(low) <= 30 or _REL_WORD_CLOCK.search(low):
            for word, back in _REL_WORDS:
                if word.search(low):
                    return now - back
    for _, st in _find_dates(low):
        if isinstance(st, _Yearless):
            resolved = _resolve_yearless(st, now, []) if now is not None else None
            if resolved is None:
                continue
            st = resolved
        return _aware(st)
    return parse_timestamp(low)


_DATEPARSER_SETTINGS = {"DATE_ORDER": "DMY", "PREFER_DATES_FROM": "past"}


def warm_up() -> None:
    """Load dateparser's language data once per process (the first call takes up to a second)."""
    import dateparser

    dateparser.parse("Kamis, 29 Juli 2021 10:15", languages=["id"], settings=_DATEPARSER_SETTINGS)


def parse_indonesian_date(s: str, fetched_at: datetime | None = None) -> datetime | date | None:
    """Parse one candidate string.

    Returns an aware datetime when the string gives a clock time and a zone, a naive datetime
    for a clock time without a zone, a date for a day only, None when it is no date. Year-less
    dates ("Kamis (29/7)") get their year from :func:`infer_year` (needs ``fetched_at``).
    Relative phrases ("2 jam lalu", "kemarin") resolve against ``fetched_at``.
    """
    st = _parse_any(s, fetched_at)
    if isinstance(st, _Yearless):
        # recognised, so no dateparser fallback: it would give the current year, unchecked
        st = _resolve_yearless(st, fetched_at, []) if fetched_at is not None else None
    elif st is None:
        st = _dateparser_fallback(s, fetched_at)
    if st is None:
        return None
    if st.clock is None:
        return st.day
    dt = datetime.combine(st.day, st.clock)
    return dt.replace(tzinfo=st.tz) if st.tz is not None else dt


def _dateparser_fallback(s: str, fetched_at: datetime | None) -> _Stamp | None:
    """dateparser for what our grammar misses; only strings that look like they hold a date."""
    s = _norm_space(s)
    if not s or len(s) > 80 or not re.search(r"\d", s):
        return None
    import dateparser

    settings = dict(_DATEPARSER_SETTINGS)
    if fetched_at is not None:
        settings["RELATIVE_BASE"] = fetched_at.replace(tzinfo=None)
    try:
        dt = dateparser.parse(s, languages=["id", "en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if dt is None:
        return None
    if not re.search(r"\d{4}|lalu|kemarin|ago|yesterday", s, re.I):
        # dateparser gave a year-less date the current year: hold it to our own year rule
        if fetched_at is None:
            return None
        fresh, _ = infer_year(dt.day, dt.month, None, fetched_at)
        if fresh is None:
            return None
        dt = dt.replace(year=fresh.year)
    if re.search(r"\d{1,2}[:.]\d{2}", s):
        return _stamp_from_datetime(dt.replace(microsecond=0))
    return _Stamp(dt.date())


# --------------------------------------------------------------------------- year inference


def infer_year(
    day: int, month: int, weekday: int | None, fetched_at: datetime
) -> tuple[date | None, str]:
    """The year of a year-less date such as "Kamis (29/7)", or None with the reason.

    Rule (why): a page crawled now that omits the year is either current news or an archive
    page. (1) Fresh: if the date fell within the last ``FRESH_DAYS`` days before the crawl (on
    the stated weekday, if any), it is that date. (2) Otherwise only the weekday can place it:
    a day/month falls on the same weekday again after 5, 6 or 11 years, so the ``LOOKBACK_YEARS``
    (11) years up to the crawl hold at least one fitting year. If exactly one fits, take it; if
    two fit (e.g. Tuesday 6 December in 2016 and 2022) or there is no weekday, leave it empty:
    a confident wrong date is worse than none.
    """
    today = fetched_at.date()
    for year in (today.year, today.year - 1):
        try:
            cand = date(year, month, day)
        except ValueError:
            continue
        if today - timedelta(days=FRESH_DAYS) <= cand <= today + timedelta(days=1) and (
            weekday is None or cand.weekday() == weekday
        ):
            return cand, "fresh"
    if weekday is None:
        return None, "no weekday"
    fits = []
    for year in range(today.year - LOOKBACK_YEARS + 1, today.year + 1):
        try:
            cand = date(year, month, day)
        except ValueError:
            continue
        if cand <= today + timedelta(days=1) and cand.weekday() == weekday:
            fits.append(cand)
    if len(fits) == 1:
        return fits[0], "weekday"
    return None, "ambiguous" if fits else "no fit"


def _resolve_yearless(st: _Yearless, fetched_at: datetime, years: list[int]) -> _Stamp | None:
    """Year for a year-less stamp; full dates elsewhere in the text may break a tie."""
    d, why = infer_year(st.day.day, st.day.month, st.weekday, fetched_at)
    if d is None and why == "ambiguous" and years:
        fits = {
            y
            for y in range(fetched_at.year - LOOKBACK_YEARS + 1, fetched_at.year + 1)
            if _weekday_fits(y, st.day.month, st.day.day, st.weekday)
        }
        both = fits & set(years)
        if len(both) == 1:
            d = date(both.pop(), st.day.month, st.day.day)
    if d is None:
        return None
    return _Stamp(d, st.clock, st.tz, True, yearless=True)


def _weekday_fits(year: int, month: int, day: int, weekday: int | None) -> bool:
    try:
        return weekday is not None and date(year, month, day).weekday() == weekday
    except ValueError:
        return False


# --------------------------------------------------------------------------- sanity


def _plausible(st: _Stamp | None, fetched_at: datetime) -> bool:
    if st is None:
        return False
    limit = fetched_at + timedelta(days=1)
    dt = st.aware()
    if dt is not None:
        return dt <= limit and st.day >= MIN_DATE
    return MIN_DATE <= st.day <= limit.date()


# --------------------------------------------------------------------------- metadata

_PUBLISHED_KEYS = [
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_date",
    "publication_date",
    "article.published",
    "article_date_original",
    "content_publisheddate",
    "dc.date.issued",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
    "cxenseparse:recs:publishtime",
    "dc.date",
    "dcterms.date",
    "date",
    "datecreated",
    "dcterms.created",
]
_UPDATED_KEYS = [
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "lastmod",
]


def _meta_values(tree: lxml.html.HtmlElement, keys: list[str]) -> list[_Stamp]:
    """Stamps from <meta> (property/name/itemprop) and itemprop'd elements, in key order."""
    rank = {k: i for i, k in enumerate(keys)}
    hits: list[tuple[int, int, _Stamp]] = []
    for n, el in enumerate(tree.iter("meta")):
        for attr in ("property", "name", "itemprop"):
            key = (el.get(attr) or "").strip().lower()
            if key in rank:
                st = _parse_machine(el.get("content") or "") or _parse_any(
                    el.get("content") or "", None
                )
                if st is not None and not isinstance(st, _Yearless):
                    hits.append((rank[key], n, st))
                break
    if "datepublished" in rank or "datemodified" in rank:
        want = "datePublished" if "datepublished" in rank else "dateModified"
        for n, el in enumerate(tree.xpath(f'//*[@itemprop="{want}"][not(self::meta)]')):
            # Blogger: <abbr class="published" itemprop="datePublished" title="ISO">09.15</abbr>
            raw = el.get("content") or el.get("datetime") or el.get("title") or el.text_content()
            st = _parse_machine(raw) or _parse_any(raw, None)
            if st is not None and not isinstance(st, _Yearless):
                hits.append((rank[want.lower()], 10_000 + n, st))
    hits.sort(key=lambda h: (h[0], h[1]))
    return [h[2] for h in hits]


def _pick(stamps: list[_Stamp], fetched_at: datetime) -> _Stamp | None:
    """First plausible stamp, made more precise by later ones that agree with it."""
    good = [s for s in stamps if _plausible(s, fetched_at)]
    if not good:
        return None
    best = good[0]
    for other in good[1:]:
        if other.precision <= best.precision:
            continue
        if other.day == best.day and (best.clock is None or best.same_clock(other)):
            best = other
    return best


_ARTICLE_TYPES = {"blogposting", "liveblogposting", "report", "socialmediaposting"}


def _jsonld_nodes(tree: lxml.html.HtmlElement) -> list[tuple[bool, dict]]:
    """Every JSON-LD object on the page, flagged whether it is an article type."""
    out: list[tuple[bool, dict]] = []

    def walk(node: object, depth: int = 0) -> None:
        if depth > 8:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
        elif isinstance(node, dict):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            names = {str(t).lower() for t in types if t}
            is_article = any(t.endswith("article") or t in _ARTICLE_TYPES for t in names)
            out.append((is_article, node))
            for key, value in node.items():
                if isinstance(value, (dict, list)) and key != "@context":
                    walk(value, depth + 1)

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            data = _salvage_jsonld(raw)
        walk(data)
    return out


def _salvage_jsonld(raw: str) -> list[dict]:
    """Broken JSON-LD (trailing commas, stray HTML) still names its dates: keep those."""
    found = []
    for key in ("datePublished", "dateModified"):
        m = re.search(rf'"{key}"\s*:\s*"([^"]+)"', raw)
        if m:
            found.append({"@type": "Article", key: m.group(1)})
    return found


def _jsonld_dates(nodes: list[tuple[bool, dict]], key: str) -> list[_Stamp]:
    """Values of ``key`` from article-type nodes first, then from any other node."""
    ordered = [n for a, n in nodes if a] + [n for a, n in nodes if not a]
    out = []
    for node in ordered:
        value = node.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str):
            st = _parse_machine(value) or _parse_any(value, None)
            if st is not None and not isinstance(st, _Yearless):
                out.append(st)
    return out


# --------------------------------------------------------------------------- dateline

_FURNITURE_TOKEN = re.compile(
    r"(?:^|[-_])(?:related|terkait|popular|populer|terpopuler|widget|sidebar|terkini|terbaru|"
    r"latest|recent|rekomendasi|recommend(?:ed|ation)?|trending|bacajuga|baca-juga|readalso|"
    r"breaking|ticker|marquee|comments?|komentar|footer|nav|navbar|navigation|menu|topbar|"
    r"most|ads?|iklan|banner)(?:[-_]|$)",
    re.I,
)
_FURNITURE_TAGS = {"nav", "footer", "aside", "blockquote", "figcaption", "form", "select"}
_HEADERISH = re.compile(r"(?:^|[-_])(?:header|masthead)(?:[-_]|$)", re.I)
_DATEISH = re.compile(r"date|time|tanggal|tgl|waktu|publish|posted|jadwal|schedule", re.I)
_SKIP_TAGS = {"script", "style", "noscript", "svg", "img", "input", "button", "iframe", "br", "hr"}
_MAX_DATELINE_CHARS = 120
_WINDOW_AFTER = 250  # elements scanned after the title
_WINDOW_BEFORE = 12  # elements scanned before it (kickers, "category | date" lines)
_UPDATE_TAIL = 15  # elements after the dateline where a "Diperbarui" time may follow


def _classes(el: lxml.html.HtmlElement) -> list[str]:
    return ((el.get("class") or "") + " " + (el.get("id") or "")).split()


def _short_text(el: lxml.html.HtmlElement, limit: int) -> str | None:
    """The element's text if shorter than `limit` characters, else None (stops reading early)."""
    out: list[str] = []
    n = 0
    for t in el.itertext():
        n += len(t)
        if n >= limit:
            return None
        out.append(t)
    return _norm_space("".join(out))


_RELATED_LABELS = frozenset(RELATED_LABELS)
_READ_ALSO = re.compile(r"^\W{0,3}(?:baca|simak|lihat)(?:\s+(?:juga|pula))?\s*[:>»|]", re.I)
_HEADLINE_WORDS = re.compile(r"[^\W\d_]{2,}")


def _label_box(el: lxml.html.HtmlElement) -> bool:
    """A box whose first child is a related-stories label ("Berita Terkait", "Terpopuler")."""
    if len(el) < 2 or not isinstance(el[0].tag, str):
        return False
    label = _short_text(el[0], 40)
    return bool(label) and label.casefold().rstrip(" :") in _RELATED_LABELS


def _is_teaser(item: lxml.html.HtmlElement) -> bool:
    """A short item made mostly of one headline link (a teaser of another story)."""
    if not isinstance(item.tag, str):
        return False
    text = _short_text(item, 300)
    if not text:
        return False
    for a in item.iter("a"):
        headline = _norm_space(a.text_content())
        if len(headline) >= 20 and len(_HEADLINE_WORDS.findall(headline)) >= 3:
            return len(headline) * 5 >= len(text) * 2
    return False


def _teaser_list(el: lxml.html.HtmlElement) -> bool:
    """A list of other stories: at least two of its first children are headline teasers."""
    if len(el) < 2:
        return False
    return sum(_is_teaser(child) for child in el[:4]) >= 2


def _read_also_line(el: lxml.html.HtmlElement) -> bool:
    """A "Baca juga: <link>" line inside the body, with the linked story's date beside it."""
    text = _short_text(el, 300)
    return bool(text) and _READ_ALSO.match(text) is not None and el.find(".//a") is not None


class _Furniture:
    """Memoised "is this element inside page furniture?" for one page."""

    def __init__(self, anchor: lxml.html.HtmlElement | None, headers: bool) -> None:
        self.headers = headers  # count header-ish boxes (only before the title: after it,
        # "article-header__datetime" is the article's own header)
        self.anchor_path = set(anchor.iterancestors()) if anchor is not None else set()
        if anchor is not None:
            self.anchor_path.add(anchor)
        self.memo: dict[lxml.html.HtmlElement, bool] = {}

    def own(self, el: lxml.html.HtmlElement) -> bool:
        if el in self.anchor_path:
            return False  # whatever holds the title is the article, not furniture
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _FURNITURE_TAGS:
            return True
        tokens = _classes(el)
        if any(_FURNITURE_TOKEN.search(t) for t in tokens):
            return True
        # Other stories, whatever the class names: a box opened by a "Berita Terkait" label,
        # a list of headline links, a "Baca juga: <link>" line
        if tag and (_label_box(el) or _teaser_list(el) or _read_also_line(el)):
            return True
        # A header that does not hold the title is the site's header ("today is ..." widgets)
        return self.headers and (tag == "header" or any(_HEADERISH.search(t) for t in tokens))

    def inside(self, el: lxml.html.HtmlElement) -> bool:
        chain = []
        node: lxml.html.HtmlElement | None = el
        result = False
        while node is not None and node.tag not in ("body", "html"):
            if node in self.memo:
                result = self.memo[node]
                break
            chain.append(node)
            if self.own(node):
                result = True
                break
            node = node.getparent()
        for n in chain:  # everything below a furniture element is furniture too
            self.memo[n] = result
        return result


def _norm_title(s: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", s.lower()).split())


def _title_element(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The article's title element: the heading whose text is the page's og:title/<title>."""
    titles = []
    for xp in (
        '//meta[@property="og:title"]/@content',
        '//meta[@name="twitter:title"]/@content',
        "//title/text()",
    ):
        titles += [_norm_title(t) for t in tree.xpath(xp)]
    titles = [t for t in titles if t]
    headings = tree.xpath("//h1|//h2|//h3|//*[@itemprop='headline']")
    for level in ("h1", "h2", "h3", None):
        for h in headings:
            if level is not None and h.tag != level:
                continue
            text = _norm_title(h.text_content())
            if len(text) >= 12 and any(text in t for t in titles):
                return h
    for h in headings:
        if h.tag == "h1" and len(_norm_title(h.text_content())) >= 12:
            return h
    return None


@dataclass
class _Dateline:
    published: _Stamp | None = None
    machine: bool = False  # from <time datetime> / itemprop, not from written text
    updated: _Stamp | None = None


def _read_element(el: lxml.html.HtmlElement, fetched_at: datetime) -> tuple[_Stamp | None, bool]:
    """Date of one dateline element: its machine-readable value if any, else its text."""
    machine_nodes = [el] if el.tag == "time" else []
    machine_nodes += el.xpath(".//time[@datetime]|.//*[@itemprop='datePublished']")
    text = _norm_space(el.text_content())
    written = None
    if len(text) <= _MAX_DATELINE_CHARS:
        hits = _find_dates(text)
        written = hits[0][1] if hits else _relative(text, fetched_at)
        if isinstance(written, _Yearless):
            written = None
    for node in machine_nodes:
        raw = node.get("datetime") or node.get("content")
        st = _parse_machine(raw) if raw else None
        if st is not None:
            if written is not None and st.tz is None and written.same_clock(st) and written.tz:
                st = st.with_tz(written.tz)  # "2016-02-16 09:10:56" shown as "09:10 WIB"
            return st, True
    return written, False


def _is_update_label(el: lxml.html.HtmlElement, text: str) -> bool:
    if _UPDATE_LABEL.match(text) or _update_label_before(el):
        return True
    tokens = [t.lower() for t in _classes(el)]
    if any("modif" in t for t in tokens):
        return True
    # hAtom "updated" alone marks a modified time; next to a date class it is the dateline
    return "updated" in tokens and not any(
        _DATEISH.search(t) or "publish" in t for t in tokens if t != "updated"
    )


def _update_label_before(el: lxml.html.HtmlElement) -> bool:
    """Is the element's date labelled as an update just before it, in a separate element or
    text ("<span>Diperbarui:</span> <time>...</time>")?"""
    prev = el.getprevious()
    if prev is not None and (prev.tail or "").strip():
        before = prev.tail
    elif prev is not None:
        before = _short_text(prev, 40) or ""
    else:
        parent = el.getparent()
        before = (parent.text or "") if parent is not None else ""
    return _UPDATE_LABEL_END.search(before) is not None


def _title_block(anchor: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The title's grandparent, unless that is already the page body."""
    parent = anchor.getparent()
    block = parent.getparent() if parent is not None else None
    if block is None or block.tag in ("body", "html"):
        return None
    return block


def _is_inside(el: lxml.html.HtmlElement, block: lxml.html.HtmlElement) -> bool:
    return any(a is block for a in el.iterancestors())


def _body_start(tree: lxml.html.HtmlElement, text: str) -> lxml.html.HtmlElement | None:
    """The element holding the clean text's first sentence (an anchor when no title is)."""
    for para in (text or "").split("\n"):
        para = _norm_space(para)
        if len(para) >= 40:
            hits = tree.xpath("//p[contains(normalize-space(.), $s)]", s=para[:40])
            return hits[0] if hits else None
    return None


def _dateline(tree: lxml.html.HtmlElement, text: str, fetched_at: datetime) -> _Dateline:
    """The site's own dateline next to the title (and a "Diperbarui" time found there)."""
    result = _Dateline()
    anchor = _title_element(tree)
    if anchor is not None:
        after = anchor.xpath(f"following::*[position() <= {_WINDOW_AFTER}]")
        windows = [(after, _Furniture(anchor, False))]
        # Before the title only inside the title's own block (a "Kanal | 5 Nov 2015" kicker):
        # further up sit the site header's "today is ..." widgets.
        block = _title_block(anchor)
        if block is not None:
            before = anchor.xpath(f"preceding::*[position() <= {_WINDOW_BEFORE}]")[::-1]
            before = [el for el in before if _is_inside(el, block)]
            windows.append((before, _Furniture(anchor, True)))
        dateish_only = False
    else:
        # No title to stand next to: only elements that say "date", just before the body's
        # first paragraph (in its block), else inside the article if the page marks one up.
        dateish_only = True
        start = _body_start(tree, text)
        block = _title_block(start) if start is not None else None
        if start is not None and block is not None:
            before = start.xpath(f"preceding::*[position() <= {_WINDOW_AFTER}]")[::-1]
            windows = [([el for el in before if _is_inside(el, block)], _Furniture(None, True))]
        else:
            scope = tree.xpath("//article|//main|//*[@itemprop='articleBody']")
            windows = [(list(scope[0].iter()), _Furniture(None, True))] if scope else []
    updates: set[lxml.html.HtmlElement] = set()
    for window, furniture in windows:
        long_paragraphs = 0
        tail = -1  # after the dateline, a few more elements may hold "Diperbarui ..."
        for el in window:
            if tail >= 0:
                tail -= 1
                if tail < 0 or result.updated is not None:
                    return result
            tag = el.tag if isinstance(el.tag, str) else ""
            if not tag or tag in _SKIP_TAGS:
                continue
            if tag == "p" and len(el.text_content()) > 150:
                long_paragraphs += 1
                if long_paragraphs >= 3:
                    break  # deep in the body: a dateline sits before it
                continue
            if dateish_only and not (
                tag == "time" or any(_DATEISH.search(t) for t in _classes(el))
            ):
                continue
            if furniture.inside(el):
                continue
            st, machine = _read_element(el, fetched_at)
            if st is None or not _plausible(st, fetched_at):
                continue
            text = _norm_space(el.text_content())
            if any(a in updates for a in el.iterancestors()):
                continue  # the date inside an update line read already ("Diperbarui: <time>")
            if _is_update_label(el, text):
                if _UPDATE_LABEL.match(text) and len(_find_dates(text)) > 1:
                    continue  # "Diperbarui ... | Terbit ...": its parts are read one by one
                result.updated = result.updated or st
                updates.add(el)
                continue
            if tail < 0:
                result.published, result.machine = st, machine
                tail = _UPDATE_TAIL
        if result.published is not None:
            return result
    result.published = _blogger_date_header(tree, fetched_at)
    return result


def _blogger_date_header(tree: lxml.html.HtmlElement, fetched_at: datetime) -> _Stamp | None:
    """Blogger's day header ("Jumat, 08 Maret 2024") above a post: outside the post's block
    (and Blogger's <title> "Blog: Post" makes the blog's name look like the title), so the
    title's window misses it. Only a page with one day header is one post's page."""
    headers = tree.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' date-header ')]"
    )
    if len(headers) != 1:
        return None
    hits = _find_dates(_norm_space(headers[0].text_content()))
    st = hits[0][1] if hits else None
    if st is None or isinstance(st, _Yearless) or not _plausible(st, fetched_at):
        return None
    return st


_ZoneFix = Callable[[_Stamp], _Stamp]


def _no_fix(st: _Stamp) -> _Stamp:
    return st


def _relabel(wrong: tzinfo | None, right: tzinfo) -> _ZoneFix:
    """The site writes local clock times with a wrong zone: correct every such value."""

    def fix(st: _Stamp) -> _Stamp:
        return st.with_tz(right) if st.clock is not None and st.tz == wrong else st

    return fix


def _express(source: tzinfo, target: tzinfo) -> _ZoneFix:
    """The site gives correct instants in UTC: show them on the page's own clock."""

    def fix(st: _Stamp) -> _Stamp:
        return st.in_tz(target) if st.aware() is not None and st.tz == source else st

    return fix


def _reconcile(meta: _Stamp, line: _Stamp | None) -> tuple[_Stamp, _ZoneFix]:
    """Fix the metadata's zone with the visible dateline when both show the same clock.

    Returns the corrected stamp and the correction itself, to apply to the site's other
    machine-readable times (its dateModified carries the same zone bug).
    """
    if line is None or line.clock is None or meta.clock is None:
        if line is not None and meta.clock is None and line.day == meta.day and line.tz:
            return line, _no_fix  # metadata gave the day only; the dateline adds clock and zone
        return meta, _no_fix
    fix = _no_fix
    offset = meta.tz.utcoffset(None) if meta.tz is not None else None
    if meta.same_clock(line):
        if line.tz is not None and meta.tz != line.tz:
            fix = _relabel(meta.tz, line.tz)  # detik: WIB clock labelled "Z"
        elif line.tz is None and offset is not None and -offset in _INDONESIAN_OFFSETS:
            fix = _relabel(meta.tz, timezone(-offset))  # merdeka: "-07:00" for WIB
    elif meta.aware() is not None and line.aware() is not None and meta.aware() == line.aware():
        assert meta.tz is not None and line.tz is not None
        fix = _express(meta.tz, line.tz)  # same instant: keep the page's own offset
    return fix(meta), fix


# --------------------------------------------------------------------------- text and URL

_TEXT_SCAN_CHARS = 2500


def _from_text(text: str, fetched_at: datetime) -> tuple[_Stamp | None, str | None, bool]:
    """First usable date phrase in the text's opening: (stamp, source, weekday_contradicted)."""
    text = _norm_space(text or "")
    # an update stamp left in the text ("Diperbarui 20 Des 2021, 13:04 WIB") is no publication
    hits = [
        st
        for pos, st in _find_dates(text, _TEXT_SCAN_CHARS)
        if not _UPDATE_LABEL_END.search(text[max(0, pos - 40) : pos])
    ]
    years = [st.day.year for st in hits if not st.yearless and st.weekday_ok is not False]
    contradicted: _Stamp | None = None
    for st in hits:
        if isinstance(st, _Yearless):
            resolved = _resolve_yearless(st, fetched_at, years)
            if resolved is not None and _plausible(resolved, fetched_at):
                return resolved, "inferred", False
            # An unplaceable lead date is the event: a later dated reference in the text
            # would be a confident wrong answer, so stop here.
            break
        if not _plausible(st, fetched_at):
            continue
        if st.weekday_ok is False:
            contradicted = contradicted or st
            continue
        return st, "text", False
    if contradicted is not None:
        return contradicted, "text", True
    return None, None, False


_URL_PATTERNS = [
    re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})(?=/|$)"),
    re.compile(r"/((?:19|20)\d\d)-(\d{2})-(\d{2})(?=[/-]|$)"),
    re.compile(r"/((?:19|20)\d\d)(\d{2})(\d{2})(?=/|$)"),
    re.compile(r"/(\d{2})/(\d{2})/(\d{2})/(?=[^/]*[a-z])"),  # Republika: /yy/mm/dd/slug
]


def _from_url(url: str, fetched_at: datetime) -> _Stamp | None:
    path = urlsplit(url or "").path
    for pat in _URL_PATTERNS:
        for m in pat.finditer(path):
            y, mo, d = (int(g) for g in m.groups())
            if y < 100:
                y += 2000
            try:
                st = _Stamp(date(y, mo, d))
            except ValueError:
                continue
            if _plausible(st, fetched_at):
                return st
    return None


# --------------------------------------------------------------------------- entry point


def _on_page_clock(updated: _Stamp, published: _Stamp) -> _Stamp:
    """A UTC update instant shown in the published time's own zone (WIB, WITA, WIT)."""
    upd_dt, pub_dt = updated.aware(), published.aware()
    if upd_dt is None or pub_dt is None or published.tz is None or updated.tz == published.tz:
        return updated
    return updated.in_tz(published.tz) if upd_dt.utcoffset() == timedelta(0) else updated


def resolve_dates(
    tree: lxml.html.HtmlElement | None, text: str, url: str, fetched_at: datetime
) -> DateResult:
    """Publication (and update) date of one page; see the module docstring for the order."""
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    line = _Dateline()
    meta = ld = None
    updated: _Stamp | None = None
    if tree is not None:
        line = _dateline(tree, text, fetched_at)
        nodes = _jsonld_nodes(tree)
        meta = _pick(_meta_values(tree, _PUBLISHED_KEYS), fetched_at)
        ld = _pick(_jsonld_dates(nodes, "datePublished"), fetched_at)
        updated = _pick(_meta_values(tree, _UPDATED_KEYS), fetched_at) or _pick(
            _jsonld_dates(nodes, "dateModified"), fetched_at
        )
        if updated is not None:
            updated = _reconcile(updated, line.updated)[0]
        else:
            updated = line.updated

    def done(st: _Stamp, fix: _ZoneFix, source: str) -> DateResult:
        upd = _on_page_clock(fix(updated), st) if updated is not None else None
        return DateResult(st.iso(), source, upd.iso() if upd is not None else None)

    if meta is not None:
        return done(*_reconcile(meta, line.published), "metadata")
    if ld is not None:
        return done(*_reconcile(ld, line.published), "jsonld")
    if line.published is not None:
        return done(line.published, _no_fix, "metadata" if line.machine else "text")
    st, source, contradicted = _from_text(text, fetched_at)
    if st is not None and not contradicted:
        return done(st, _no_fix, source or "text")
    from_url = _from_url(url, fetched_at)
    if from_url is not None:
        return done(from_url, _no_fix, "url")
    if st is not None:
        return done(st, _no_fix, source or "text")
    return DateResult(None, None, updated.iso() if updated is not None else None)
