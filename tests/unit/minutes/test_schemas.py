"""Input rules of the minutes API that need no database: dates as written, the memo's date pair,
NFC, office codes, and the `_bn` renderings of the Read schemas."""

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.minutes.actions.schemas import ActionItemCreate, ActionItemRead, ActionUpdateRead
from services.minutes.meetings.schemas import MeetingCreate

COMMITTEE = str(uuid.uuid4())


def meeting(**overrides: object) -> MeetingCreate:
    values: dict[str, object] = {"committee_id": COMMITTEE, "title_bn": "সভার কার্যবিবরণী", "held_on": "2021-10-24",
                                 "chair_name": "মোঃ কামাল হোসেন"}
    values.update(overrides)
    return MeetingCreate.model_validate(values)


@pytest.mark.parametrize("written", ["২৪ অক্টোবর ২০২১ খ্রি:", "24 October 2021", "২৪/১০/২০২১", "2021-10-24",
                                     "২৪.১০.২০২১ তারিখে"])
def test_a_date_is_accepted_as_a_secretary_types_it(written: str) -> None:
    assert meeting(held_on=written).held_on == date(2021, 10, 24)


def test_an_impossible_date_names_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        meeting(held_on="৩১ সেপ্টেম্বর ২০২১")
    assert error.value.errors()[0]["loc"] == ("held_on",)


def test_the_memo_date_pair_must_agree() -> None:
    assert meeting(issued_on="০৪ নভেম্বর ২০২১", issued_on_bangla="১৯ কার্তিক ১৪২৮").issued_on == date(2021, 11, 4)
    assert meeting(issued_on_bangla="১৯ কার্তিক ১৪২৮").issued_on == date(2021, 11, 4)
    with pytest.raises(ValidationError, match="disagree"):
        meeting(issued_on="০৫ নভেম্বর ২০২১", issued_on_bangla="১৯ কার্তিক ১৪২৮")


def test_text_is_stored_nfc_and_office_codes_upper_case() -> None:
    decomposed = "কে\u09be"  # ো typed in two parts
    created = meeting(title_bn=f"  {decomposed}  ", distribution=[{"recipient": "সচিব", "office_code": "mosw"}])
    assert created.title_bn == "কো"
    assert created.distribution[0].office_code == "MOSW"


def test_an_action_needs_an_office_and_lists_each_once() -> None:
    with pytest.raises(ValidationError):
        ActionItemCreate(description="প্রেরণ", responsible_office_codes=[])
    with pytest.raises(ValidationError, match="twice"):
        ActionItemCreate(description="প্রেরণ", responsible_office_codes=["MOSW", "mosw"])


def test_two_decisions_cannot_share_a_label() -> None:
    with pytest.raises(ValidationError, match="same label"):
        meeting(decisions=[{"label": "ক", "text_bn": "এক"}, {"label": "ক", "text_bn": "দুই"}])


def test_a_deadline_comes_with_its_bangla_rendering() -> None:
    now = datetime.now(UTC)
    item = ActionItemRead(id=uuid.uuid4(), decision_id=uuid.uuid4(), meeting_id=uuid.uuid4(),
                          committee_id=uuid.uuid4(), decision_label="গ", description="মুদ্রণ",
                          responsible_office_codes=["CABINET"], deadline=date(2021, 12, 31), deadline_as_written=None,
                          status="open", version=1, created_at=now, updated_at=now)
    # 16 December is ১ পৌষ under the 2019 rules, so 31 December is ১৬ পৌষ.
    assert item.model_dump()["deadline_bn"] == "১৬ পৌষ ১৪২৮"
    assert item.model_copy(update={"deadline": None}).deadline_bn is None


def test_an_update_is_dated_in_bangladesh() -> None:
    # 20:00 UTC on 3 November is 02:00 on 4 November in Dhaka: ১৯ কার্তিক ১৪২৮, as on the seed's memo.
    update = ActionUpdateRead(id=uuid.uuid4(), posted_by_office="MOSW", status_before="open", status_after="done",
                              note="", evidence=[], posted_at=datetime(2021, 11, 3, 20, 0, tzinfo=UTC))
    assert update.posted_on_bn == "১৯ কার্তিক ১৪২৮"
