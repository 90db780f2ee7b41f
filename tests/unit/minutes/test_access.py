"""The calling office from the gateway's headers."""

from types import SimpleNamespace

import pytest

from services.minutes.access import current_office
from shared.errors import Forbidden, Unauthenticated

TRUSTED = SimpleNamespace(trust_ministry_header=True)


def test_the_office_and_roles_come_from_the_headers() -> None:
    caller = current_office(TRUSTED, x_ministry_code=" cabinet ", x_roles="Committee_Secretary, auditor,")
    assert caller.office_code == "CABINET"
    assert caller.roles == {"committee_secretary", "auditor"}
    assert caller.is_secretary
    caller.require_secretary("record minutes")


def test_an_office_without_the_role_is_not_a_secretary() -> None:
    caller = current_office(TRUSTED, x_ministry_code="MOSW", x_roles="auditor")
    assert not caller.is_secretary
    with pytest.raises(Forbidden):
        caller.require_secretary("record minutes")


@pytest.mark.parametrize("code", [None, "", "  ", "mo sw", "১২৩"])
def test_a_missing_or_malformed_office_is_unauthenticated(code: str | None) -> None:
    with pytest.raises(Unauthenticated) as error:
        current_office(TRUSTED, x_ministry_code=code, x_roles=None)
    assert error.value.status_code == 401 and error.value.loc == ["header", "X-Ministry-Code"]


def test_headers_are_ignored_when_the_deployment_does_not_trust_them() -> None:
    with pytest.raises(Unauthenticated):
        current_office(SimpleNamespace(trust_ministry_header=False), x_ministry_code="MOSW", x_roles=None)
