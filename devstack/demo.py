"""A small demo data set, loaded through the gateway like a ministry system would send it:
the same people as different ministries typed them (Bangla, Latin, honorifics, Bangla digits)."""

from __future__ import annotations

import httpx

DEMO_BENEFICIARIES: list[dict[str, str]] = [
    {"ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": "OAA-2024-000187",
     "name_bn": "মোঃ আব্দুর রহিম", "name_en": "Md. Abdur Rahim", "nid": "1956123456789",
     "phone": "01711-234567", "date_of_birth": "1956-03-12"},
    {"ministry_code": "MODMR", "programme_code": "VGF", "source_record_id": "VGF/DHK/55102",
     "name_bn": "মোহাম্মদ আব্দুর রহিম", "nid": "১৯৫৬১৯৫৬১২৩৪৫৬৭৮৯", "phone": "+8801711234567"},
    {"ministry_code": "MOSW", "programme_code": "WA", "source_record_id": "WA-2023-004411",
     "name_bn": "মোছাঃ রহিমা খাতুন", "name_en": "Mst. Rahima Khatun", "nid": "1962987654321",
     "date_of_birth": "1962-07-01"},
    {"ministry_code": "MOWCA", "programme_code": "MA", "source_record_id": "MA-22-09173",
     "name_bn": "নাসরিন আক্তার", "name_en": "Nasrin Akter", "phone": "01819-556677",
     "date_of_birth": "1994-11-23"},
    {"ministry_code": "MOFOOD", "programme_code": "FFP", "source_record_id": "FFP-RNG-8812",
     "name_en": "Nasreen Akhter", "phone": "8801819556677"},
    {"ministry_code": "MOSW", "programme_code": "DA", "source_record_id": "DA-2024-10022",
     "name_bn": "শ্রী অমল চন্দ্র দাস", "name_en": "Sri Amal Chandra Das", "nid": "4612345678",
     "date_of_birth": "1979-01-15"},
    {"ministry_code": "MOPME", "programme_code": "PSS", "source_record_id": "PSS-CTG-330198",
     "name_bn": "ফাতেমা বেগম", "name_en": "Fatema Begum", "phone": "01552-101010"},
    {"ministry_code": "MOLE", "programme_code": "WWF", "source_record_id": "WWF-KHL-2211",
     "name_bn": "আবুল কালাম আজাদ", "name_en": "Abul Kalam Azad", "nid": "19784612879305126",
     "date_of_birth": "1978-05-30"},
]


def load_demo_data(gateway_url: str) -> int:
    """Submit the demo records (idempotent: the ministries' source record ids are the keys)."""
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        for record in DEMO_BENEFICIARIES:
            response = client.post("/registry/beneficiaries", json=record,
                                   headers={"x-ministry-code": record["ministry_code"]})
            response.raise_for_status()
    return len(DEMO_BENEFICIARIES)
