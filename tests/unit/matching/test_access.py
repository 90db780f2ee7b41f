"""Who may read a record's personal data in the matching service (the registry's rule, on its copy)."""

from __future__ import annotations

import pytest

from services.matching.access import Caller, optional_caller
from services.matching.settings import MatchingSettings
from shared.errors import Unauthenticated


def _settings(trusted: bool) -> MatchingSettings:
    return MatchingSettings(database_url="postgresql://x@127.0.0.1:1/x", kafka_bootstrap_servers="127.0.0.1:1",
                            environment="test", trust_ministry_header=trusted)


def test_a_ministry_reads_its_own_records_and_reviewers_and_auditors_read_all() -> None:
    assert Caller("MOSW", frozenset()).may_read_personal_data("MOSW")
    assert not Caller("MOSW", frozenset()).may_read_personal_data("MOWCA")
    assert not Caller("MOSW", frozenset({"clerk"})).may_read_personal_data("MOWCA")
    assert Caller("CODI", frozenset({"reviewer"})).may_read_personal_data("MOWCA")
    assert Caller("CAG", frozenset({"auditor"})).may_read_personal_data("MOWCA")


def test_the_caller_comes_from_the_headers_only_while_they_are_trusted() -> None:
    assert optional_caller(_settings(True), " mosw ", "Reviewer, clerk") == Caller("MOSW",
                                                                                  frozenset({"reviewer", "clerk"}))
    assert optional_caller(_settings(True), None, "reviewer") is None  # no ministry: the coordinated view
    with pytest.raises(Unauthenticated):
        optional_caller(_settings(False), "MOSW", None)
    with pytest.raises(Unauthenticated):
        optional_caller(_settings(True), "Ministry of Social Welfare", None)
