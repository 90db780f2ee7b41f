"""Payload factories for the minutes API, and the NSSS focal points meeting of 2021 as a secretary
would enter it from the seed minutes (read from the seed file, not copied here)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date
from typing import Any

from tests.paths import SEEDS_DIR

SECRETARY_OFFICE = "CABINET"
NSSS_SEED = SEEDS_DIR / "minutes_nsss_focal_points_2021.txt"


def secretary_headers(office: str = SECRETARY_OFFICE) -> dict[str, str]:
    return {"X-Ministry-Code": office, "X-Roles": "committee_secretary"}


def office_headers(office: str, *roles: str) -> dict[str, str]:
    headers = {"X-Ministry-Code": office}
    if roles:
        headers["X-Roles"] = ",".join(roles)
    return headers


def committee_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "code": f"TEST_{uuid.uuid4().hex[:10].upper()}",
        "name_bn": "সামাজিক সহায়তা ক্লাষ্টার কমিটি",
        "name_en": "Social Assistance cluster committee",
        "secretary_office_code": "MOSW",
        "member_office_codes": ["MOSW", "MOWCA", "MOCA"],
    }
    payload.update(overrides)
    return payload


def action_payload(*offices: str, deadline: str | date | None = None, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "description": "সংশোধনী প্রস্তাব মন্ত্রিপরিষদ বিভাগে প্রেরণ",
        "responsible_office_codes": list(offices or ("MOSW",)),
        "deadline": deadline.isoformat() if isinstance(deadline, date) else deadline,
    }
    payload.update(overrides)
    return payload


def decision_payload(label: str = "ক", *actions: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "label": label,
        "text_bn": "উপকারভোগী নির্বাচনে ডাটাবেইজ তৈরীতে সকলে সমন্বিতভাবে কাজ করতে পারে।",
        "text_en": "All may work together on the beneficiary selection database.",
        "action_items": list(actions),
    }
    payload.update(overrides)
    return payload


def meeting_payload(committee_id: str, *decisions: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "committee_id": committee_id,
        "title_bn": "'সামাজিক সহায়তা' ক্লাষ্টার কমিটির সভার কার্যবিবরণী",
        "title_en": "Minutes of the Social Assistance cluster committee",
        "held_on": "2029-12-30",
        "starts_at": "11:00:00",
        "venue": "সমাজকল্যাণ মন্ত্রণালয়, বাংলাদেশ সচিবালয়, ঢাকা",
        "chair_name": "মোহাম্মদ ইসমাইল",
        "chair_designation": "অতিরিক্ত সচিব (কার্যক্রম), সমাজকল্যাণ মন্ত্রণালয়",
        "decisions": list(decisions),
    }
    payload.update(overrides)
    return payload


# --- The NSSS focal points meeting of 24 October 2021, from the seed -----------------------------------------

_DISTRIBUTION_LINE = re.compile(r"^(?:-\s*)?([০-৯]+)\)\s*(.+?)\s*$")
_DECISION_LINE = re.compile(r"^\(([ক-হ])\)\s*(.+?)\s*$")

# Written by the test author: the English translation and short titles of the three decisions.
_NSSS_DECISIONS_EN = {
    "ক": ("Comments on the draft action plan",
          "All members are requested to review the draft action plan and e-mail any amendment to the "
          "Cabinet Division by 31 October 2021."),
    "খ": ("Proofreading before printing",
          "The Cabinet Division will have the draft action plan proofread for language and facts before printing."),
    "গ": ("Printing the action plan",
          "Subject to the Central Management Committee's decision, the officers concerned in the Cabinet Division "
          "are requested to finish printing the action plan by December this year and to launch it formally."),
}


def seed_lines() -> list[str]:
    return [unicodedata.normalize("NFC", line.strip()) for line in NSSS_SEED.read_text(encoding="utf-8").splitlines()]


def _field(lines: list[str], name: str) -> str:
    for line in lines:
        if line.startswith(name + "\t"):
            return line.split("\t", 1)[1].strip()
    raise AssertionError(f"the seed has no {name!r} line")


def _after(lines: list[str], prefix: str) -> str:
    for line in lines:
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip()
    raise AssertionError(f"the seed has no line starting {prefix!r}")


def nsss_distribution(lines: list[str]) -> list[str]:
    """The 45 recipients of the বিতরণ list, in their order, as written."""
    start = next(i for i, line in enumerate(lines) if line.startswith("বিতরণ"))
    recipients = []
    for line in lines[start + 1:]:
        match = _DISTRIBUTION_LINE.match(line)
        if match:
            recipients.append(match[2])
    return recipients


def nsss_decisions(lines: list[str]) -> dict[str, str]:
    return {m[1]: m[2] for line in lines if (m := _DECISION_LINE.match(line))}


def office_for(recipient: str, offices: list[dict[str, Any]]) -> str | None:
    """The office a distribution line is addressed to: the longest office name it contains."""
    found = [o for o in offices if o["name_bn"] in recipient]
    return max(found, key=lambda o: len(o["name_bn"]))["code"] if found else None


def nsss_meeting_payload(committee_id: str, offices: list[dict[str, Any]]) -> dict[str, Any]:
    """The meeting as the Cabinet Division's secretary would enter it, field by field from the seed."""
    lines = seed_lines()
    chair = _field(lines, "সভাপতি")
    chair_name, chair_designation = chair.split(" সচিব, ", 1)
    decisions_bn = nsss_decisions(lines)
    decisions = []
    for label, text_bn in decisions_bn.items():
        title, text_en = _NSSS_DECISIONS_EN[label]
        decision: dict[str, Any] = {"label": label, "title": title, "text_bn": text_bn, "text_en": text_en,
                                    "action_items": []}
        if label == "ক":
            # The deadline as the minutes write it; everyone on the list is asked.
            members = [c for c in dict.fromkeys(office_for(r, offices) for r in nsss_distribution(lines)) if c]
            decision["action_items"].append(action_payload(
                *members, deadline="৩১ অক্টোবর ২০২১ খ্রি:",
                description="খসড়া কর্ম-পরিকল্পনার সংশোধনী প্রস্তাব ই-মেইলযোগে মন্ত্রিপরিষদ বিভাগে প্রেরণ"))
        elif label == "খ":
            decision["action_items"].append(action_payload(
                "CABINET", description="মুদ্রণের পূর্বে পুফ সংশোধন ও তথ্যগত শুদ্ধতা নিশ্চিতকরণ"))
        else:
            decision["action_items"].append(action_payload(
                "CABINET", deadline="2021-12-31", deadline_as_written="এ বছর ডিসেম্বর মাসের মধ্যে",
                description="কর্ম-পরিকল্পনার মুদ্রণ কার্য সমাপ্ত করা"))
        decisions.append(decision)
    memo_dates = lines[lines.index(next(line for line in lines if line.startswith("তারিখ: "))):]
    return {
        "committee_id": committee_id,
        "title_bn": next(line for line in lines if line.endswith("সভার কার্যবিবরণী")),
        "title_en": "Minutes of the meeting with the National Social Security Strategy focal point officers",
        "held_on": _field(lines, "সভার তারিখ"),
        "starts_at": "15:00:00",
        "venue": _field(lines, "স্থান"),
        "is_online": True,
        "chair_name": chair_name,
        "chair_designation": "সচিব, " + chair_designation,
        "attendance_note": _field(lines, "উপস্থিতি"),
        "opening_remarks": next(line for line in lines if line.startswith("সভাপতি উপস্থিত সকলকে স্বাগত")),
        "agenda": [{"label": line.split("।", 1)[0], "discussion": line.split("।", 1)[1].strip()}
                   for line in lines if re.match(r"^০[২-৫]।", line)],
        "decisions": decisions,
        "memo_number": _after(lines, "স্মারক নম্বর:"),
        "issued_on": next(line for line in memo_dates[1:] if line),
        "issued_on_bangla": _after(lines, "তারিখ: "),
        "signed_by_name": "মোঃ কামাল হোসেন",
        "signed_by_designation": "সচিব, সমন্বয় ও সংস্কার, মন্ত্রিপরিষদ বিভাগ",
        "distribution": [{"recipient": r, "office_code": office_for(r, offices)} for r in nsss_distribution(lines)],
        "copies": [],
    }
