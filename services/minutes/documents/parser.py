"""Read a minutes text (কার্যবিবরণী) into a draft meeting.

The texts come from OCR of circulated minutes, so they carry its noise: a garbled heading
("শহগ্রামাকর্তৃ বাংলাদেশ সরকার"), misspelt words ("ক-পরিষিষ্ঠ"), markdown markers ("#### সিদ্ধান্ত:"),
stray bullets, a paragraph split by a page break, a typo in a date. The parser never guesses
silently: whatever it took from a heuristic rather than from a labelled line is named in
`draft.unsure` with the reason, and whatever does not add up (two dates that disagree, minutes
circulated before the meeting) is listed in `draft.issues`.

Two layouts are known, both in shared/seeds: the Ministry of Social Welfare's (labels with ':',
sections ২.১, ২.২ ..., decisions "- ক. ...") and the Cabinet Division's (labels and values separated
by a tab, sections ০২। ০৩। ..., decisions "(ক) ..."). A text in neither layout still gives a draft
with what could be found (a date, "X এর সভাপতিত্বে", lines starting "সিদ্ধান্ত:"), all marked unsure.

Pure functions: the caller reads the file (`decode_minutes_text` turns its bytes into text).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time

from services.minutes.bangla_calendar import (
    BanglaDate,
    check_date_pair,
    from_bangla,
    parse_bangla_date,
    parse_gregorian_text,
)
from services.minutes.documents.model import (
    GOVERNMENT_HEADING,
    Deadline,
    DecisionEntry,
    DiscussionSection,
    Issue,
    MinutesDraft,
)
from shared.normalize.text import strip_invisible
from shared.text.digits import to_ascii_digits, to_bangla_digits

__all__ = ["MinutesTextError", "decode_minutes_text", "find_deadlines", "find_offices", "parse_minutes"]


class MinutesTextError(ValueError):
    """The input is not a minutes text at all (empty, binary, not UTF-8)."""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _rx(pattern: str) -> re.Pattern[str]:
    # Patterns are NFC'd like the text: য় ড় ঢ় typed precomposed in this file would otherwise never
    # match the decomposed form NFC gives them.
    return re.compile(_nfc(pattern))


D = "[০-৯0-9]"  # a digit in either script
B = "\u0980-\u09ff"  # the Bengali block, for character classes
_TERMINAL = ("।", "?", "!", ":", "ঃ", ";", ".")

# --------------------------------------------------------------------------------------------------
# Bytes to text


def decode_minutes_text(data: bytes) -> str:
    """The text of a minutes file, or MinutesTextError saying why it is not one.

    UTF-8 (with or without BOM) and UTF-16 with BOM are accepted: both come out of OCR tools and
    Word's "save as text". Anything with NUL bytes outside UTF-16, or not decodable, is binary.
    """
    if not data.strip():
        raise MinutesTextError("the file is empty: expected the text of the minutes")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise MinutesTextError(f"the file starts like UTF-16 but does not decode: {exc}") from exc
    else:
        if b"\x00" in data:
            raise MinutesTextError("the file is binary (it contains NUL bytes): expected a UTF-8 text file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MinutesTextError(
                f"the file is not UTF-8 text (byte {exc.start}): legacy Bijoy/ANSI files must be converted "
                "to Unicode first") from exc
    if not any(ch.isalpha() for ch in text):
        raise MinutesTextError("the file has no letters: expected the text of the minutes")
    return text


# --------------------------------------------------------------------------------------------------
# Lines


def _clean_line(raw: str) -> str:
    line = _nfc(strip_invisible(raw)).replace("\u00a0", " ")
    # OCR-to-markdown tools mark headings with '#'; the heading text is what matters.
    return re.sub(r"^#+\s*", "", line.strip())


def _squash(text: str) -> str:
    """One line of text: runs of whitespace (tabs from table cells too) become one space."""
    return re.sub(r"\s+", " ", text).strip()


def _strip_end(text: str) -> str:
    """Drop the sentence-final danda and separators that only end a table cell or list item."""
    return _squash(text).rstrip(" ।;,").strip()


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive non-empty lines (a paragraph as OCR laid it out) and where they start."""

    start: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return _squash(" ".join(self.lines))


def _blocks(lines: Sequence[str], start: int, end: int) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    first = start
    for index in range(start, end):
        line = lines[index]
        if line:
            if not current:
                first = index
            current.append(line)
        elif current:
            blocks.append(_Block(first, tuple(current)))
            current = []
    if current:
        blocks.append(_Block(first, tuple(current)))
    return blocks


# --------------------------------------------------------------------------------------------------
# Patterns of the known layouts

_SUBJECT = _rx(r"^বিষয়\s*[:ঃ]\s*(?P<value>.+)$")
_GOVERNMENT = _rx(r"বাংলাদেশ\s+সরকার")
_TABLE_KEYS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date_time", _rx(r"সভার\s+তারিখ\s+ও\s+সময়")),
    ("chair", _rx(r"সভাপতি(?:ত্ব)?")),
    ("date", _rx(r"(?:সভার\s+)?তারিখ")),
    ("time", _rx(r"(?:সভার\s+)?সময়")),
    ("venue", _rx(r"(?:সভার\s+)?স্থান")),
    ("attendance", _rx(r"উপস্থিত(?:ি|\s+সদস্য(?:বৃন্দ|গণ)?)?")),
)
# A key is followed by a separator: ':' (either form), a tab, or two spaces. One space is prose
# ("সভাপতি উপস্থিত সকলকে স্বাগত জানিয়ে ...").
_ROW_SEPARATOR = _rx(r"\s*(?:[:ঃ]|\t|\s{2,})\s*[:ঃ]?\s*")
_DISCUSSION_HEADING = _rx(rf"^(?:{D}+(?:\.{D}+)?\s*[।.]?\s*)?(?:আলোচনা|আলোচ্য\s+বিষয়)(?:\s+ও\s+সিদ্ধান্ত)?\s*[:ঃ]?$")
_DECISIONS_HEADING = _rx(rf"^(?:{D}+(?:\.{D}+)?\s*[।.]?\s*)?সিদ্ধান্ত(?:সমূহ)?\s*[:ঃ]?$")
# ২.১ / ০২। / ৪। start a section; "১. X" is a list item (see _LIST_ITEM).
_SECTION = _rx(rf"^(?P<label>{D}{{1,2}}\.{D}{{1,2}}|{D}{{1,2}}\s*।)\s*(?P<rest>.*)$")
_LIST_ITEM = _rx(rf"^(?:[-•*]\s*)?(?P<num>{D}{{1,3}})\s*[.)।](?!{D})\s*(?P<text>\S.*)$")
_LETTER_LABELS = "কখগঘঙচছজঝঞটঠডঢণতথদধন"
_DECISION_ITEM = _rx(
    rf"^(?:[-•*]\s*)?(?:\((?P<p>[{_LETTER_LABELS}]|{D}{{1,2}})\)|(?P<d>[{_LETTER_LABELS}])\s*[.)।])\s*(?P<text>\S.*)$"
)
_DECISION_NUMBERED = _rx(rf"^(?:[-•*]\s*)?(?P<d>{D}{{1,2}})\s*[.)]\s+(?P<text>\S.*)$")
_DECISION_INLINE = _rx(r"^সিদ্ধান্ত\s*[:ঃ\-]\s*(?P<text>\S.*)$")
_CLOSING = _rx(
    r"আলোচ্য\s+বিষয়\s+না\s+থাকায়|ধন্যবাদ\s+জানিয়ে|সভার\s+সমাপ্তি|সমাপ্তি\s+ঘোষণা|সভা\s+শেষ\s+করেন"
)
_MEMO = _rx(r"^(?:স্মারক\s*(?:নম্বর|নম্বরঃ|নং)?|নং|নম্বর|সূত্র)\s*[:ঃ\-–]?\s*(?P<value>" + D + r".*)$")
_MEMO_WELL_FORMED = _rx(rf"^{D}+(?:\.{D}+){{3,}}(?:[-/]{D}+)?$")
_DATE_LABEL = _rx(r"^তারিখ\s*[:ঃ]?\s*(?P<value>.+)$")
_DISTRIBUTION = _rx(r"^বিতরণ(?:\s|[:ঃ(]|$)")
_COPIES = _rx(r"^অনুলিপি(?:\s|[:ঃ(]|$)")
_PARENTHESISED = _rx(r"^\((?P<value>[^()]+)\)$")
_ATTENDANCE_KNOWN = _rx(
    r"^(?:(?:তালিকা|হাজিরা)\s+সংযুক্ত\s*)?\(?\s*(?:[ক-হ]\s*[-–]\s*)?পরিশিষ্ট(?:\s*[-–]\s*[ক-হ])?\s*\)?$"
    r"|^(?:তালিকা|হাজিরা)\s+সংযুক্ত$"
)
_CHAIRED_BY = (
    _rx(r"জনাব\s+(?P<name>(?:\S+\s+){0,3}?\S+?)\s*-?\s*(?:এর|এঁর)?\s+সভাপতিত্বে"),
    _rx(r"(?P<name>\S+\s+\S+)\s*-?\s*(?:এর|এঁর)\s+সভাপতিত্বে"),
)
_DESIGNATIONS = tuple(
    _nfc(word)
    for word in (
        "সিনিয়র সচিব", "অতিরিক্ত সচিব", "যুগ্মসচিব", "যুগ্ম সচিব", "উপসচিব", "উপ সচিব", "সহকারী সচিব", "সচিব",
        "মহাপরিচালক", "অতিরিক্ত মহাপরিচালক", "পরিচালক", "প্রতিমন্ত্রী", "মন্ত্রী", "চেয়ারম্যান", "মুখ্য সমন্বয়ক",
        "জেলা প্রশাসক", "উপজেলা নির্বাহী অফিসার", "কমিশনার", "প্রকল্প পরিচালক", "সদস্য",
    )
)

# Gregorian or Bangla dates inside running text; each candidate is confirmed by the calendar module.
_DATE_WORDS = _rx(
    rf"(?<![০-৯0-9]){D}{{1,2}}\s*(?:শে|লা|রা|ঠা|ই)?\s+[{B}]+\s*,?\s*{D}{{4}}"
    r"(?:\s*(?:খ্রিস্টাব্দ|খ্রিষ্টাব্দ|খ্রীষ্টাব্দ|খ্রি[:ঃ.]?|ইং|বঙ্গাব্দ))?"
)
_DATE_NUMERIC = _rx(rf"(?<![০-৯0-9.]){D}{{1,2}}([./-]){D}{{1,2}}\1{D}{{4}}(?![০-৯0-9])")
_TIME = _rx(
    rf"(?P<period>সকাল|দুপুর|বিকাল|বিকেল|বেলা|অপরাহ্ন|অপরাহ্ণ|সন্ধ্যা|রাত)?\s*(?P<h>{D}{{1,2}})\s*"
    rf"(?:[:.]\s*(?P<m>{D}{{2}})|টা)"
)


def _gregorian_dates(text: str) -> Iterator[tuple[date, re.Match[str]]]:
    for pattern in (_DATE_WORDS, _DATE_NUMERIC):
        for match in pattern.finditer(text):
            try:
                yield parse_gregorian_text(match.group(0)), match
            except ValueError:
                continue


def _bangla_dates(text: str) -> Iterator[tuple[BanglaDate, re.Match[str]]]:
    for match in _DATE_WORDS.finditer(text):
        try:
            yield parse_bangla_date(match.group(0)), match
        except ValueError:
            continue


def _first_gregorian(text: str) -> tuple[date, str] | None:
    found = sorted(_gregorian_dates(text), key=lambda pair: pair[1].start())
    return (found[0][0], found[0][1].group(0)) if found else None


def _parse_time(text: str) -> time | None:
    match = _TIME.search(text)
    if match is None:
        return None
    hour = int(to_ascii_digits(match["h"]))
    minute = int(to_ascii_digits(match["m"] or "0"))
    period = match["period"]
    # Minutes write a 12-hour clock with a word for the part of the day. বেলা is daytime: ১১টা is
    # late morning, ৩টা afternoon; the evening words always mean p.m.
    if period in ("বিকাল", "বিকেল", "অপরাহ্ন", "অপরাহ্ণ", "সন্ধ্যা") and hour < 12:
        hour += 12
    elif period == _nfc("রাত") and 6 <= hour < 12:
        hour += 12
    elif period in ("দুপুর", "বেলা") and hour < 7:
        hour += 12
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return time(hour, minute)


# --------------------------------------------------------------------------------------------------
# Offices and deadlines inside a decision

_OFFICE_TYPES = tuple(
    _nfc(word)
    for word in ("মন্ত্রণালয়", "বিভাগ", "অধিদপ্তর", "অধিদফতর", "অধিশাখা", "কমিশন", "ব্যুরো", "কার্যালয়", "পরিদপ্তর")
)
# Case endings an office name takes in running text: ের/এর genitive, কে object, ে/এ locative.
_CASE_ENDINGS = {"": "nominative", "ের": "genitive", "এর": "genitive", "কে": "object", "ে": "locative",
                 "এ": "locative", "ও": "nominative", "ই": "nominative"}
# Words that precede an office type without naming it ("সংশ্লিষ্ট সকল দপ্তর").
_NOT_A_NAME = frozenset(
    _nfc(word)
    for word in ("সংশ্লিষ্ট", "সকল", "সব", "প্রতিটি", "বিভিন্ন", "উক্ত", "এ", "এই", "ও", "এবং", "জন্য", "করে", "হতে",
                 "থেকে", "মাধ্যমে", "নিজ", "স্ব", "অন্যান্য", "সংশ্লিষ্ঠ", "বাস্তবায়নকারী")
)
_TOKEN_SPLIT = _rx(r"[\s,;।()]+")
# Offices whose names are longer than the one-word-before rule can see. Matched first, longest first;
# everything else falls back to that rule.
_KNOWN_OFFICES = tuple(sorted((_nfc(name) for name in (
    "স্থানীয় সরকার বিভাগ", "পল্লী উন্নয়ন ও সমবায় বিভাগ", "তথ্য ও যোগাযোগ প্রযুক্তি বিভাগ", "স্বাস্থ্য সেবা বিভাগ",
    "স্বাস্থ্য শিক্ষা ও পরিবার কল্যাণ বিভাগ", "মাধ্যমিক ও উচ্চ শিক্ষা বিভাগ", "কারিগরি ও মাদ্রাসা শিক্ষা বিভাগ",
    "অর্থনৈতিক সম্পর্ক বিভাগ", "বাস্তবায়ন পরিবীক্ষণ ও মূল্যায়ন বিভাগ", "পরিসংখ্যান ও তথ্য ব্যবস্থাপনা বিভাগ",
    "ডাক ও টেলিযোগাযোগ বিভাগ", "আর্থিক প্রতিষ্ঠান বিভাগ", "সাধারণ অর্থনীতি বিভাগ", "সুরক্ষা সেবা বিভাগ",
    "জননিরাপত্তা বিভাগ", "লেজিসলেটিভ ও সংসদ বিষয়ক বিভাগ", "প্রাথমিক ও গণশিক্ষা মন্ত্রণালয়",
    "দুর্যোগ ব্যবস্থাপনা ও ত্রাণ মন্ত্রণালয়", "প্রবাসী কল্যাণ ও বৈদেশিক কর্মসংস্থান মন্ত্রণালয়",
    "পরিবেশ, বন ও জলবায়ু পরিবর্তন মন্ত্রণালয়", "মৎস্য ও প্রাণিসম্পদ মন্ত্রণালয়", "গৃহায়ন ও গণপূর্ত মন্ত্রণালয়",
    "পার্বত্য চট্টগ্রাম বিষয়ক মন্ত্রণালয়", "পানি সম্পদ মন্ত্রণালয়", "যুব ও ক্রীড়া মন্ত্রণালয়", "বস্ত্র ও পাট মন্ত্রণালয়",
    "প্রধানমন্ত্রীর কার্যালয়", "বাংলাদেশ পরিসংখ্যান ব্যুরো", "সমাজসেবা অধিদফতর", "সমাজসেবা অধিদপ্তর",
)), key=len, reverse=True))


def _office_in(token: str) -> tuple[str, str] | None:
    """(office type, grammatical case) when `token` is an office type word with a case ending."""
    for office_type in _OFFICE_TYPES:
        if token.startswith(office_type):
            ending = token[len(office_type):]
            if ending in _CASE_ENDINGS:
                return office_type, _CASE_ENDINGS[ending]
    return None


def find_offices(text: str) -> list[tuple[str, str]]:
    """Offices named in `text` as (name in the nominative, case as written), in order, once each.

    A name is the office type word and the words before it that belong to it: one word
    ("মন্ত্রিপরিষদ বিভাগ"), more through "বিষয়ক" and "ও" ("মহিলা ও শিশু বিষয়ক মন্ত্রণালয়").
    "মন্ত্রণালয়/বিভাগ" and "সংশ্লিষ্ট সকল দপ্তর" name no office and are skipped.
    """
    tokens = [t for t in _TOKEN_SPLIT.split(_nfc(text)) if t]
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, token in enumerate(tokens):
        office = _office_in(token) if "/" not in token else None
        known = next((name for name in _KNOWN_OFFICES if office and name.endswith(office[0])
                      and " ".join([*tokens[max(0, index - name.count(" ")):index], office[0]]) == name), None)
        if known and office:
            if known not in seen:
                seen.add(known)
                found.append((known, office[1]))
            continue
        if "/" in token:
            continue
        office = _office_in(token)
        if office is None or index == 0:
            continue
        words: list[str] = []
        j = index - 1
        while j >= 0 and len(words) < 5:
            word = tokens[j]
            if (word in _NOT_A_NAME and word != "ও") or "/" in word or not _has_letters(word):
                break
            if word == "ও":
                # "শ্রম ও কর্মসংস্থান": take the word before the conjunction too.
                if j == 0 or not words:
                    break
                words[:0] = [tokens[j - 1], word]
                j -= 2
                continue
            words.insert(0, word)
            if word != _nfc("বিষয়ক") and (j == 0 or tokens[j - 1] != "ও"):
                break
            j -= 1
        if not words or words[0] in _NOT_A_NAME:
            continue
        name = " ".join([*words, office[0]])
        if name not in seen:
            seen.add(name)
            found.append((name, office[1]))
    return found


_DEADLINE_CUE = _rx(r"\s*(?:খ্রি[^\s]*\s*)?(?:তারিখের|তারিখ)?\s*(?:এর)?\s*(?:মধ্যে|নাগাদ|পূর্বে|আগে|ভেতরে|ভিতরে)")
_MONTH_DEADLINE = _rx(
    rf"(?P<when>এ\s+বছর(?:ের)?|এই\s+বছর(?:ের)?|চলতি\s+বছর(?:ের)?|আগামী)?\s*(?P<month>[{B}]+)\s+"
    rf"(?:(?P<year>{D}{{4}})\s*(?:খ্রি[^\s]*)?\s*(?:সালের|এর|-এর)?|মাসের|মাস)\s*(?:এর\s*)?"
    r"(?P<cue>মধ্যে|শেষে|শেষ\s+নাগাদ|নাগাদ)"
)


def _gregorian_month(word: str) -> int | None:
    try:
        return parse_gregorian_text(f"১ {word} ২০০০").month
    except ValueError:
        return None


def find_deadlines(text: str, *, held_on: date | None) -> tuple[list[Deadline], list[str]]:
    """Deadlines written in a decision, and the reasons to doubt any of them.

    A date followed by মধ্যে/নাগাদ/পূর্বে ("৩১ অক্টোবর ২০২১ খ্রি: তারিখের মধ্যে") is a deadline; a month
    ("এ বছর ডিসেম্বর মাসের মধ্যে", "ডিসেম্বর ২০২১ এর মধ্যে") means its last day, in the meeting's year
    for "এ বছর", else the first such month on or after the meeting.
    """
    deadlines: list[Deadline] = []
    doubts: list[str] = []
    for due, match in sorted(_gregorian_dates(text), key=lambda pair: pair[1].start()):
        cued = _DEADLINE_CUE.match(text, match.end()) is not None
        if not cued:
            doubts.append(f"{match.group(0)!r} has no 'মধ্যে/নাগাদ' after it: a deadline?")
        deadlines.append(Deadline(due_on=due, kind="date", text=_squash(match.group(0))))
    for match in _MONTH_DEADLINE.finditer(text):
        month = _gregorian_month(match["month"])
        if month is None:
            continue
        if match["year"]:
            year = int(to_ascii_digits(match["year"]))
        elif held_on is None:
            doubts.append(f"{match.group(0).strip()!r}: no meeting date to tell the year from")
            continue
        elif match["when"] and not match["when"].startswith(_nfc("আগামী")):
            year = held_on.year
            if month < held_on.month:
                doubts.append(f"{match.group(0).strip()!r} is earlier in the year than the meeting")
        else:
            year = held_on.year if month >= held_on.month else held_on.year + 1
        due = date(year, month, calendar.monthrange(year, month)[1])
        if any(d.due_on == due for d in deadlines):
            continue
        deadlines.append(Deadline(due_on=due, kind="end_of_month", text=_squash(match.group(0))))
    return deadlines, doubts


# --------------------------------------------------------------------------------------------------
# The parse


@dataclass(slots=True)
class _Row:
    key: str
    value: str
    index: int


def _table_row(line: str, index: int) -> _Row | None:
    for key, pattern in _TABLE_KEYS:
        match = pattern.match(line)
        if match is None:
            continue
        separator = _ROW_SEPARATOR.match(line, match.end())
        if separator is None:
            continue
        value = line[separator.end():]
        if value.strip():
            return _Row(key, value, index)
    return None


def _split_person(text: str, known_name: str | None) -> tuple[str, str | None, str | None]:
    """(name, designation, doubt) of "মোহাম্মদ ইসমাইল, অতিরিক্ত সচিব (কার্যক্রম), ..." or a comma-less form."""
    text = _strip_end(text)
    if known_name and text.startswith(known_name):
        rest = text[len(known_name):].lstrip(" ,")
        return known_name, rest or None, None
    head, comma, tail = text.partition(",")
    starts = [(text.find(" " + word), word) for word in _DESIGNATIONS if (" " + word) in text]
    if comma and not any(pos < len(head) for pos, _ in starts):
        return head.strip(), tail.strip() or None, None
    if starts:
        pos = min(p for p, _ in starts)
        return (text[:pos].strip(), text[pos:].strip(" ,") or None,
                "name and designation split where the designation word starts")
    return text, None, "no designation found after the name"


def parse_minutes(text: str) -> MinutesDraft:
    """A draft meeting from the text of its minutes. Never raises on odd text; see `draft.unsure`."""
    if not text.strip():
        raise MinutesTextError("the text is empty")
    lines = [_clean_line(raw) for raw in _nfc(text).splitlines()]
    draft = MinutesDraft()
    unsure = draft.unsure
    n = len(lines)

    # ---- where the parts are ------------------------------------------------------------------
    subject_index = next((i for i, line in enumerate(lines) if _SUBJECT.match(line)), None)
    decisions_heading = next((i for i, line in enumerate(lines) if _DECISIONS_HEADING.match(line)), None)
    memo_index = next((i for i, line in enumerate(lines) if _MEMO.match(line)), None)
    distribution_index = next((i for i, line in enumerate(lines) if _DISTRIBUTION.match(line)), None)
    copies_index = next((i for i, line in enumerate(lines) if _COPIES.match(line)), None)
    first_row = next((i for i, line in enumerate(lines[:60]) if _table_row(line, i)), None)

    # ---- heading and subject ------------------------------------------------------------------
    header_end = min(i for i in (subject_index, first_row, n) if i is not None)
    if header_end == n:
        # No subject line and no table: the heading is the run of short lines at the top.
        header_end = next((i for i, line in enumerate(lines) if len(line) > 80 or line.endswith("।")), n)
    if subject_index is None and first_row is not None:
        # The Cabinet Division's layout: the title is the last heading line before the table.
        title_index = max((i for i in range(first_row) if lines[i]), default=None)
        if title_index is not None and _nfc("কার্যবিবরণী") in lines[title_index]:
            draft.subject = _strip_end(lines[title_index])
            header_end = title_index
    elif subject_index is not None:
        match = _SUBJECT.match(lines[subject_index])
        assert match is not None
        draft.subject = _strip_end(match["value"])
    if draft.subject is None:
        titled = next((line for line in lines[:20] if _nfc("কার্যবিবরণী") in line and len(line) < 200), None)
        if titled:
            draft.subject = _strip_end(titled)
            unsure["subject"] = "no 'বিষয়:' line; a line naming the কার্যবিবরণী was taken"
        else:
            unsure["subject"] = "not found"
    header = [_squash(line) for line in lines[:header_end] if line and _has_letters(line)]
    government = next((line for line in header if _GOVERNMENT.search(line)), None)
    if government is None:
        unsure["government"] = "no 'বাংলাদেশ সরকার' heading; the standard heading was assumed"
    elif government != GOVERNMENT_HEADING:
        unsure["government"] = f"read as {government!r} (OCR?); the standard heading was assumed"
    draft.office_lines = [line for line in header if line is not government]

    # ---- the table: chair, date, time, venue, attendance ---------------------------------------
    rows: dict[str, _Row] = {}
    table_end = header_end + 1 if draft.subject and not unsure.get("subject") else header_end
    if first_row is not None:
        index = first_row
        while index < n and (not lines[index] or _table_row(lines[index], index)):
            row = _table_row(lines[index], index) if lines[index] else None
            if row is not None:
                rows.setdefault(row.key, row)
            index += 1
        table_end = index
    chair_raw = rows["chair"].value if "chair" in rows else None
    date_text = rows["date_time"].value if "date_time" in rows else rows["date"].value if "date" in rows else None
    time_text = rows["date_time"].value if "date_time" in rows else rows["time"].value if "time" in rows else None

    if date_text is not None:
        found = _first_gregorian(date_text)
        if found:
            draft.held_on = found[0]
        else:
            unsure["held_on"] = f"the date row {_squash(date_text)!r} holds no readable date"
    if time_text is not None:
        match = _TIME.search(time_text)
        if match:
            draft.time_text = _strip_end(time_text[match.start():])
            draft.starts_at = _parse_time(time_text)
        if draft.starts_at is None:
            unsure["starts_at"] = f"no time read from {_squash(time_text)!r}"
    elif "starts_at" not in unsure:
        unsure["starts_at"] = "not found"
    if "venue" in rows:
        draft.venue = _strip_end(rows["venue"].value)
    else:
        unsure["venue"] = "not found"
    if "attendance" in rows:
        draft.attendance_note = _strip_end(rows["attendance"].value)
        if not _ATTENDANCE_KNOWN.match(draft.attendance_note):
            unsure["attendance_note"] = (
                f"{draft.attendance_note!r} is not a known form (তালিকা সংযুক্ত, পরিশিষ্ট-ক): OCR noise?")
    else:
        unsure["attendance_note"] = "not found"

    # ---- the body: discussion, decisions, closing ----------------------------------------------
    tail_starts = [i for i in (memo_index, distribution_index, copies_index) if i is not None and i > table_end]
    date_label = next((i for i in range(table_end, n) if _DATE_LABEL.match(lines[i])
                       and any(True for _ in _bangla_dates(lines[i]))), None)
    if date_label is not None:
        tail_starts.append(date_label)
    body_end = min(tail_starts, default=n)
    blocks = _blocks(lines, table_end, body_end)

    closing_block = next((b for b in blocks if _CLOSING.search(b.text)
                          and (decisions_heading is None or b.start > decisions_heading)), None)
    decision_start = decisions_heading + 1 if decisions_heading is not None else None
    if decision_start is None:
        decision_start = next((i for i in range(table_end, body_end)
                               if _DECISION_ITEM.match(lines[i]) or _DECISION_INLINE.match(lines[i])), None)
    discussion_end = decisions_heading if decisions_heading is not None else decision_start
    if discussion_end is None:
        discussion_end = closing_block.start if closing_block else body_end
    _read_discussion(draft, _blocks(lines, table_end, discussion_end))

    decisions_end = closing_block.start if closing_block else body_end
    if decision_start is not None:
        _read_decisions(draft, _blocks(lines, decision_start, decisions_end))
    if not draft.decisions:
        unsure["decisions"] = "no decisions found"

    signature_from = decisions_end
    if closing_block is not None:
        draft.closing = closing_block.text
        signature_from = closing_block.start + len(closing_block.lines)
    else:
        unsure["closing"] = "not found"
    after = [b for b in blocks if b.start >= signature_from]
    # "৪।" alone before the closing paragraph is its section number, not a signature.
    signature_lines = [line for b in after for line in b.lines if _has_letters(line)][:3]
    if signature_lines:
        draft.signed_by_name = _strip_parentheses(_strip_end(signature_lines[0]))
        if len(signature_lines) > 1:
            draft.signed_by_designation = _strip_end(signature_lines[1])
        if len(signature_lines) > 2:
            unsure["signed_by_name"] = "more lines than a name and a designation before the memo number"
    else:
        unsure["signed_by_name"] = "no signature block found"

    # ---- chair: the table value, split with help from the signature --------------------------
    if chair_raw is not None:
        name, designation, doubt = _split_person(chair_raw, draft.signed_by_name)
        draft.chair_name, draft.chair_designation = name, designation
        if doubt:
            unsure["chair_name"] = doubt
        if designation is None:
            unsure["chair_designation"] = "not found after the chair's name"
    else:
        prose = _squash(" ".join(lines[:body_end]))
        match = next((m for pattern in _CHAIRED_BY if (m := pattern.search(prose))), None)
        if match:
            draft.chair_name = match["name"].strip()
            unsure["chair_name"] = "no 'সভাপতি' row; read from '... এর সভাপতিত্বে'"
        else:
            unsure["chair_name"] = "not found"

    # ---- memo number and issue date ----------------------------------------------------------
    _read_memo_and_issue_date(draft, lines, memo_index, date_label)
    if draft.held_on is None:
        found = _first_gregorian(" ".join(lines[:body_end]))
        if found:
            draft.held_on = found[0]
            unsure["held_on"] = f"no 'সভার তারিখ' row; the first date in the text ({found[1]!r}) was taken"
        else:
            unsure.setdefault("held_on", "not found")

    # ---- distribution, copies, who circulated ------------------------------------------------
    list_end = n
    if distribution_index is not None:
        draft.distribution, list_end = _read_list(lines, distribution_index + 1, stop=copies_index)
        _check_numbering(draft, "distribution", lines, distribution_index + 1, list_end)
    else:
        unsure["distribution"] = "no বিতরণ list found"
    if copies_index is not None:
        draft.copies, copies_end = _read_list(lines, copies_index + 1, stop=None)
        list_end = max(list_end, copies_end)
    _read_circulated_by(draft, lines, memo_index, distribution_index, list_end)

    # ---- what does not add up ----------------------------------------------------------------
    _check_dates(draft)
    for decision in draft.decisions:
        decision.deadlines, doubts = find_deadlines(decision.text, held_on=draft.held_on)
        if doubts:
            decision.unsure["deadlines"] = "; ".join(doubts)
    return draft


def _strip_parentheses(text: str) -> str:
    match = _PARENTHESISED.match(text)
    return match["value"].strip() if match else text


def _read_discussion(draft: MinutesDraft, blocks: Sequence[_Block]) -> None:
    sections: list[DiscussionSection] = []
    for block in blocks:
        first = block.lines[0]
        if _DISCUSSION_HEADING.match(first) and len(block.lines) == 1:
            continue
        if _DISCUSSION_HEADING.match(first):
            block = _Block(block.start + 1, block.lines[1:])
            first = block.lines[0]
        items = [_LIST_ITEM.match(line) for line in block.lines]
        if sections and all(items) and all(len(line) < 120 for line in block.lines):
            # A numbered list inside a paragraph (the cluster's ministries): kept on its own lines.
            listed = "\n".join(_squash(line) for line in block.lines)
            sections[-1] = DiscussionSection(label=sections[-1].label, text=f"{sections[-1].text}\n{listed}")
            for match in items:
                assert match is not None
                item = _strip_end(match["text"])
                if item.split() and _office_in(item.split()[-1]) and item not in draft.offices_named:
                    draft.offices_named.append(item)
            continue
        match = _SECTION.match(first)
        if match:
            label = match["label"].rstrip("। ").strip()
            body = _squash(" ".join([match["rest"], *block.lines[1:]]))
            sections.append(DiscussionSection(label=label, text=body))
        elif sections and not sections[-1].text.endswith(_TERMINAL):
            # A paragraph cut by a page break in the scan ("... কর্ম-পরিকল্পনার" / "একটি সম্ভাব্য ...").
            sections[-1] = DiscussionSection(label=sections[-1].label, text=f"{sections[-1].text} {block.text}")
        else:
            sections.append(DiscussionSection(label=None, text=block.text))
    draft.discussion = [s for s in sections if s.text.strip()]
    if not draft.discussion:
        draft.unsure["discussion"] = "no discussion paragraphs found"


def _read_decisions(draft: MinutesDraft, blocks: Sequence[_Block]) -> None:
    decisions: list[DecisionEntry] = []
    numbered_fallback = False
    lines = [line for block in blocks for line in block.lines]
    for line in lines:
        section = _SECTION.match(line)
        item = _DECISION_ITEM.match(line)
        if section and not item:
            if _nfc("সিদ্ধান্ত") in line and not decisions:
                draft.decisions_intro = _squash(section["rest"])
                continue
            if decisions:
                # The next section ("৪।" before the closing words) ends the list of decisions.
                break
            continue
        if item:
            label = item["p"] or item["d"]
            decisions.append(DecisionEntry(label=label, text=_squash(item["text"])))
            continue
        inline = _DECISION_INLINE.match(line)
        numbered = _DECISION_NUMBERED.match(line)
        if numbered and any(d.label in _LETTER_LABELS for d in decisions):
            numbered = None  # "১. ..." inside a lettered list is part of the decision's text
        if inline is not None:
            decisions.append(DecisionEntry(label=to_bangla_digits(len(decisions) + 1), text=_squash(inline["text"])))
            numbered_fallback = True
            continue
        if numbered is not None:
            decisions.append(DecisionEntry(label=numbered["d"], text=_squash(numbered["text"])))
            continue
        if decisions:
            decisions[-1].text = _squash(f"{decisions[-1].text} {line}")
        elif draft.decisions_intro is None and _nfc("সিদ্ধান্ত") in line:
            draft.decisions_intro = _squash(line)
    for decision in decisions:
        # ';' and ',' end an item of the list, not the decision; '।' ends the sentence and stays.
        decision.text = decision.text.rstrip(" ;,")
        offices = find_offices(decision.text)
        decision.responsible_offices = [name for name, _ in offices]
        locative = [name for name, case in offices if case == "locative"]
        if locative:
            decision.unsure["responsible_offices"] = (
                f"{', '.join(locative)} is named as a destination (…এ/…ে): it may receive, not act")
        elif not offices:
            decision.unsure["responsible_offices"] = "no office named in the text"
        if numbered_fallback:
            decision.unsure["label"] = "the text gives no label; numbered in order"
    draft.decisions = decisions


def _read_list(lines: Sequence[str], start: int, *, stop: int | None) -> tuple[list[str], int]:
    """Numbered items from `start` until a line that is not one (blank lines inside are allowed)."""
    items: list[str] = []
    index = start
    end = start
    while index < len(lines) and (stop is None or index < stop):
        line = lines[index]
        if line:
            match = _LIST_ITEM.match(line)
            if match is None:
                break
            items.append(_squash(match["text"]))
            end = index + 1
        index += 1
    return items, end


def _check_numbering(draft: MinutesDraft, field: str, lines: Sequence[str], start: int, end: int) -> None:
    numbers = []
    for line in lines[start:end]:
        match = _LIST_ITEM.match(line) if line else None
        if match:
            numbers.append(int(to_ascii_digits(match["num"])))
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        draft.unsure[field] = f"items are numbered {numbers[:50]}, not 1..{len(numbers)}: one missed or misread?"


def _read_memo_and_issue_date(
    draft: MinutesDraft, lines: Sequence[str], memo_index: int | None, date_label: int | None
) -> None:
    if memo_index is not None:
        match = _MEMO.match(lines[memo_index])
        assert match is not None
        value = re.split(_nfc("তারিখ"), match["value"])[0]
        draft.memo_number = value.strip(" ,।;")
        if not _MEMO_WELL_FORMED.match(re.sub(r"\s+", "", draft.memo_number)):
            draft.unsure["memo_number"] = "not in the dotted form ৪১.০০.০০০০.০৮৩...: check it against the scan"
    else:
        draft.unsure["memo_number"] = "not found"

    if date_label is None:
        draft.unsure["issued_on"] = "no 'তারিখ:' line with a Bangla date after the minutes"
        return
    bangla_found = next(_bangla_dates(lines[date_label]), None)
    gregorian_found: tuple[date, str] | None = _first_gregorian(lines[date_label])
    # The Gregorian date is written on the same line or on the next non-empty one or two.
    look = [i for i in range(date_label + 1, min(len(lines), date_label + 5)) if lines[i]][:2]
    for index in look:
        if gregorian_found:
            break
        found = _first_gregorian(lines[index])
        if found and _squash(lines[index]).startswith(_squash(found[1])):
            gregorian_found = found
    if bangla_found:
        draft.issued_on_bangla_text = _squash(bangla_found[1].group(0))
    if gregorian_found:
        draft.issued_on_gregorian_text = _squash(gregorian_found[1])
    if bangla_found and gregorian_found:
        problem = check_date_pair(bangla_found[0], gregorian_found[0])
        if problem is None:
            draft.issued_on = gregorian_found[0]
        else:
            draft.issued_on = problem.expected_gregorian
            draft.issues.append(Issue(
                code="date_pair_mismatch",
                fields=["issued_on_bangla_text", "issued_on_gregorian_text"],
                message=f"the memo's dates disagree: {problem.describe()}",
            ))
            draft.unsure["issued_on"] = (
                f"the two written dates disagree; {problem.expected_gregorian.isoformat()} was taken from the "
                "Bangla date")
    elif bangla_found:
        draft.issued_on = from_bangla(bangla_found[0])
        draft.unsure["issued_on"] = "only the Bangla date was found"
    elif gregorian_found:
        draft.issued_on = gregorian_found[0]
        draft.unsure["issued_on"] = "only the Gregorian date was found"


def _read_circulated_by(
    draft: MinutesDraft, lines: Sequence[str], memo_index: int | None, distribution_index: int | None, list_end: int
) -> None:
    """The officer who signs the forwarding memo: "(শেখ রবিউল ইসলাম)" above a designation, or the
    name and designation after the lists."""
    start = memo_index if memo_index is not None else distribution_index
    if start is None:
        return
    candidates = [i for i in range(start, distribution_index or len(lines)) if _PARENTHESISED.match(lines[i])]
    trailing = [i for i in range(list_end, len(lines)) if lines[i] and _has_letters(lines[i])]
    for index in candidates:
        following = [j for j in range(index + 1, min(len(lines), index + 4)) if lines[j]]
        if following and any(word in lines[following[0]] for word in _DESIGNATIONS):
            draft.circulated_by_name = _strip_parentheses(lines[index])
            draft.circulated_by_designation = _strip_end(lines[following[0]])
            return
    if len(trailing) >= 2 and any(word in lines[trailing[1]] for word in _DESIGNATIONS):
        draft.circulated_by_name = _strip_parentheses(_strip_end(lines[trailing[0]]))
        draft.circulated_by_designation = _strip_end(lines[trailing[1]])


def _check_dates(draft: MinutesDraft) -> None:
    if draft.held_on is None:
        return
    written: list[tuple[str, date]] = []
    if draft.issued_on_gregorian_text:
        try:
            written.append(("issued_on_gregorian_text", parse_gregorian_text(draft.issued_on_gregorian_text)))
        except ValueError:
            pass
    if draft.issued_on_bangla_text:
        try:
            written.append(("issued_on_bangla_text", from_bangla(parse_bangla_date(draft.issued_on_bangla_text))))
        except ValueError:
            pass
    for field, issued in written:
        if issued < draft.held_on:
            draft.issues.append(Issue(
                code="issued_before_meeting",
                fields=[field, "held_on"],
                message=(f"the minutes are dated {issued.isoformat()} ({getattr(draft, field)}), before the "
                         f"meeting on {draft.held_on.isoformat()}"),
            ))
