"""Issue 4's acceptance through the gateway, as ministry systems and an auditor use it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from devstack.stack import Stack

pytestmark = pytest.mark.e2e


def _as(ministry: str, *roles: str) -> dict[str, str]:
    return {"X-Ministry-Code": ministry, **({"X-Roles": ",".join(roles)} if roles else {})}


def _record(**overrides: str) -> dict[str, str]:
    return {"ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": f"OAA-{uuid.uuid4().hex[:10]}",
            "name_bn": "মোছাঃ নূরজাহান বেগম", "name_en": "Mst. Nurjahan Begum", "nid": "১৯৫২ ৬৬১ ৭৭৩ ৮৪২",
            "phone": "01715-667788", "date_of_birth": "1952", **overrides}


def test_ministries_see_only_their_own_personal_data_and_every_read_is_audited(stack: Stack) -> None:
    with httpx.Client(base_url=f"{stack.gateway_url}/registry", timeout=10) as client:
        stored = client.post("/beneficiaries", json=_record(), headers=_as("MOSW"))
        assert stored.status_code == 201, stored.text
        person_id = stored.json()["person_id"]

        assert client.get(f"/persons/{person_id}", headers=_as("MOSW")).json()["name_en"] == "Mst. Nurjahan Begum"
        denied = client.get(f"/persons/{person_id}", headers=_as("MOFOOD"))
        assert denied.status_code == 403 and "Nurjahan" not in denied.text

        view = client.get(f"/persons/{person_id}/enrolments", headers=_as("MOFOOD"))
        assert view.status_code == 200
        assert [(e["programme_code"], e["ministry_code"]) for e in view.json()["enrolments"]] == [("OAA", "MOSW")]
        assert "Nurjahan" not in view.text and "নূরজাহান" not in view.text

        assert client.get("/audit", headers=_as("MOFOOD")).status_code == 403
        audit = client.get("/audit", params={"entity_id": person_id}, headers=_as("CD", "auditor"))
        assert [(e["action"], e["actor_ministry"]) for e in audit.json()["items"]] == [
            ("create", "MOSW"), ("read", "MOSW"), ("read.denied", "MOFOOD")]


def test_invalid_fields_are_422_with_field_value_and_reason(stack: Stack) -> None:
    with httpx.Client(base_url=f"{stack.gateway_url}/registry", timeout=10) as client:
        response = client.post("/persons", headers=_as("MOWCA"),
                               json={"name_bn": "নাসরিন আক্তার", "phone": "01211-556677", "nid": "১২৩৪"})
        assert response.status_code == 422
        details = {d["loc"][-1]: d for d in response.json()["detail"]}
        assert details["phone"]["loc"] == ["body", "phone"] and details["phone"]["type"] == "phone.operator"
        assert details["phone"]["input"] == "01211-556677" and "012" in details["phone"]["msg"]
        assert details["nid"]["type"] == "nid.length" and details["nid"]["input"] == "১২৩৪"


def test_the_merged_openapi_documents_the_registry_domain(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        paths = set(client.get("/openapi.json").json()["paths"])
    assert {"/registry/persons", "/registry/persons/{person_id}", "/registry/persons/search",
            "/registry/persons/{person_id}/enrolments", "/registry/households", "/registry/enrolments",
            "/registry/audit", "/registry/geo-units", "/registry/programmes"} <= paths
