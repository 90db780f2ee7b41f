"""Through the gateway, as a ministry system and a dashboard would use the system."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from devstack.stack import Stack

pytestmark = pytest.mark.e2e


def _submit(client: httpx.Client, **overrides: str) -> dict:
    record = {"ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": f"OAA-{uuid.uuid4().hex[:10]}",
              "name_bn": "মোঃ আব্দুর রহিম", "name_en": "Md. Abdur Rahim", "nid": "১৯৫৬ ১২৩ ৪৫৬ ৭৮৯"}
    record.update(overrides)
    response = client.post("/registry/beneficiaries", json=record)
    assert response.status_code == 201, response.text
    return response.json()


def _wait_visible_in_matching(client: httpx.Client, record_id: str, timeout_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        response = client.get(f"/matching/records/{record_id}")
        if response.status_code == 200:
            return time.monotonic() - started
        assert response.status_code == 404, response.text
        time.sleep(0.02)
    raise AssertionError(f"record {record_id} not visible in matching after {timeout_s} s")


def test_every_service_and_the_gateway_are_ready(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url) as client:
        for prefix in ("/registry", "/matching", "/minutes"):
            body = client.get(f"{prefix}/readyz").json()
            assert body == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
            assert client.get(f"{prefix}/healthz").json() == {"status": "alive"}
            metrics = client.get(f"{prefix}/metrics")
            assert metrics.status_code == 200 and "http_request_duration_seconds" in metrics.text
        assert client.get("/readyz").json()["status"] == "ready"


def test_a_submitted_beneficiary_reaches_matching_within_two_seconds(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        # the first event after start-up also waits for the consumer group to form
        _wait_visible_in_matching(client, _submit(client)["id"], timeout_s=30)
        latencies = []
        for _ in range(5):
            stored = _submit(client, name_bn="রহিমা খাতুন", name_en="Rahima Khatun")
            latencies.append(_wait_visible_in_matching(client, stored["id"], timeout_s=10))
        assert max(latencies) < 2.0, latencies
        seen = client.get(f"/matching/records/{stored['id']}", headers={"X-Ministry-Code": "MOSW"}).json()
        assert seen["attributes"]["name_bn"] == "রহিমা খাতুন"
        assert seen["attributes"]["nid"] == "1956123456789"  # Bangla digits and spaces normalised
        assert seen["events_applied"] == 1


def test_the_gateway_keeps_and_returns_the_request_id(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url) as client:
        response = client.get("/registry/healthz", headers={"x-request-id": "trace-me-123"})
        assert response.headers["x-request-id"] == "trace-me-123"
        generated = client.get("/registry/healthz").headers.get("x-request-id")
        assert generated and generated != "trace-me-123"


def test_bad_input_gets_422_with_field_and_reason(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url) as client:
        response = client.post("/registry/beneficiaries", json={
            "ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": "x", "name_en": "A",
            "nid": "12345"})
        assert response.status_code == 422
        [detail] = response.json()["detail"]
        assert detail["loc"] == ["body", "nid"] and "10, 13 or 17 digits" in detail["msg"]
        missing = client.get(f"/registry/beneficiaries/{uuid.uuid4()}")
        assert missing.status_code == 404 and missing.json()["detail"][0]["type"] == "not_found"


def test_one_merged_openapi_and_local_swagger_ui(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url) as client:
        document = client.get("/openapi.json").json()
        paths = set(document["paths"])
        assert {"/registry/beneficiaries", "/registry/beneficiaries/{beneficiary_id}",
                "/matching/records/{record_id}", "/minutes/readyz"} <= paths
        assert "BeneficiaryCreate" in document["components"]["schemas"]
        page = client.get("/docs").text
        assert "docs-assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
        bundle = client.get("/docs-assets/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and len(bundle.content) > 500_000
        assert client.get("/registry/docs-assets/swagger-ui.css").status_code == 200
