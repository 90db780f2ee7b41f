from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OverlapRow(BaseModel):
    left: str = Field(description="Programme (or ministry) code")
    right: str = Field(description="Programme (or ministry) code; equal to left for persons enrolled twice in one")
    persons: int = Field(description="Persons with records in both")


Enrolments = Literal["active", "all"]


class DuplicatesReport(BaseModel):
    by: Literal["programme", "ministry"]
    enrolments: Enrolments = Field(description="active: only records whose enrolment and person are active (a "
                                   "record that does not say counts as active); all: every record received")
    persons: int = Field(description="Linked persons in the register")
    persons_in_several: int = Field(description="Persons with records in two or more different groups")
    overlaps: list[OverlapRow]
