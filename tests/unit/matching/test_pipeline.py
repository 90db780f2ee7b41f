"""The whole pipeline on a hand-built register: same persons joined, household members kept apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner, Result

from services.matching.cli import app as cli_app
from services.matching.engine.estimate import ModelParams
from services.matching.engine.pipeline import dedupe, default_params, score_pairs

from .conftest import make_table

HOME = {"division_code": 1, "district_code": 6, "upazila_code": 56, "union_code": 521}
PARENTS_BN = {"father_bn": "মোঃ আবুল কাশেম", "mother_bn": "মোসাম্মৎ নাজমা বেগম"}
PARENTS_EN = {"father_en": "Md. Abul Kashem", "mother_en": "Mst. Nazma Begum"}
NID_A = "6034821469489"

# (person label, record)
RECORDS: list[tuple[str, dict]] = [
    # A: Rahima, in Bangla only, Latin only with the 17-digit NID, and both with day/month swapped
    ("A", {"name_bn": "রহিমা আক্তার", **PARENTS_BN, "gender": "F", "dob": "1985-03-12", "nid": NID_A,
           "phone": "01734311063", **HOME, "spouse_bn": "মোঃ হাসান রহমান"}),
    ("A", {"name_en": "RAHIMA AKTAR", **PARENTS_EN, "gender": "F", "dob": "1985-03-12",
           "nid": "1985" + NID_A, "phone": "+8801734311063", **HOME}),
    ("A", {"name_bn": "রহিমা আক্তার", "name_en": "Rohima Akter", "gender": "F", "dob": "1985-12-03",
           "nid": "১৯৮৫৬০৩৪৮২১৪৬৯৪৮৯", **HOME}),
    # B: her sister: same parents, phone and address, different first name and birth date
    ("B", {"name_bn": "সালমা আক্তার", **PARENTS_BN, "gender": "F", "dob": "1988-07-01",
           "phone": "01734311063", **HOME}),
    ("B", {"name_en": "Salma Akter", **PARENTS_EN, "gender": "F", "birth_year": 1988,
           "phone": "8801734311063", **HOME}),
    # C: their brother, one record, same household
    ("C", {"name_en": "Md. Rafiqul Islam", **PARENTS_EN, "gender": "M", "dob": "1982-01-20",
           "phone": "01734311063", **HOME}),
    # K: another brother whose name is one letter from C's (Rafiqul / Shafiqul), in Bangla
    ("K", {"name_bn": "মোঃ শফিকুল ইসলাম", **PARENTS_BN, "gender": "M", "dob": "1984-09-09",
           "phone": "01734311063", **HOME}),
    # D: Rahima's husband (spouse relation, different gender), with a smart-card NID
    ("D", {"name_bn": "মোঃ হাসান রহমান", "gender": "M", "dob": "1980-02-02", "nid": "4730964969",
           "phone": "01734311063", **HOME, "spouse_bn": "রহিমা আক্তার"}),
    ("D", {"name_en": "Mohammad Hasan Rahaman", "gender": "M", "dob": "1980-02-02",
           "nid": "৪৭৩০৯৬৪৯৬৯", **HOME}),
    # E and F: two different women with the same common name in the same upazila
    ("E", {"name_en": "Rina Begum", "gender": "F", "dob": "1990-04-04", **HOME}),
    ("F", {"name_bn": "রিনা বেগম", "gender": "F", "dob": "1962-11-30",
           **{**HOME, "union_code": 522}}),
    # G: a child with a birth registration number, Bangla vs Latin, Bangla digits
    ("G", {"name_bn": "আরিয়ান সরকার", "father_bn": "আবুল সরকার", "gender": "M", "dob": "2018-07-31",
           "brn": "20185775847457054", **HOME}),
    ("G", {"name_en": "Ariyan Sarkar", "father_en": "Abul Sarkar", "gender": "M", "dob": "2018-07-31",
           "brn": "২০১৮৫৭৭৫৮৪৭৪৫৭০৫৪", **HOME}),
    # H: moved to another district, NID with one digit error, year of birth off by one
    ("H", {"name_en": "Kamal Hossain", "father_en": "Jamal Uddin", "gender": "M", "dob": "1970-05-05",
           "nid": "1202030423987", "division_code": 3, "district_code": 27, "upazila_code": 212}),
    ("H", {"name_bn": "কামাল হোসেন", "father_bn": "জামাল উদ্দিন", "gender": "M", "dob": "1971-05-05",
           "nid": "1202030423988", "division_code": 1, "district_code": 9, "upazila_code": 81}),
    # singletons
    ("I", {"name_en": "Shilpi Rani Das", "gender": "F", "birth_year": 1979, **HOME}),
    ("J", {"name_bn": "জাহাঙ্গীর আলম", "gender": "M", "dob": "1966-06-16", "phone": "01811111111"}),
]


def _partition(labels: list[str], clusters: list[int]) -> tuple[set[frozenset[int]], set[frozenset[int]]]:
    def groups(keys: list) -> set[frozenset[int]]:
        out: dict = {}
        for i, k in enumerate(keys):
            out.setdefault(k, set()).add(i)
        return {frozenset(g) for g in out.values()}

    return groups(labels), groups(clusters)


def test_pipeline_clusters_the_hand_built_register() -> None:
    labels = [p for p, _ in RECORDS]
    table = make_table([r for _, r in RECORDS])
    # Scored with the prior of a realistic register: in a 16-record table, where a fifth of all pairs
    # are duplicates, two same-named women in one upazila would rightly be a likely match.
    result = dedupe(table, params=default_params(n_records=1_000_000))
    expected, got = _partition(labels, result.cluster_id.tolist())
    assert got == expected


def test_phone_parents_and_address_alone_do_not_merge_siblings() -> None:
    # the sister and brother with their own names removed: only household evidence is left
    rows = [{k: v for k, v in r.items() if not k.startswith("name")} for p, r in RECORDS if p in "BC"]
    clusters = dedupe(make_table(rows), params=default_params(n_records=1_000_000)).cluster_id.tolist()
    assert clusters[2] not in (clusters[0], clusters[1])


def test_params_round_trip_through_json() -> None:
    params = default_params()
    again = ModelParams.from_json(params.to_json())
    assert again == params
    # every level of every field has a weight, and the top level of identifiers is strong evidence
    for field, weights in zip(again.fields, again.weights(), strict=True):
        assert len(weights) == len(again.level_labels[again.fields.index(field)])
    nid = again.fields.index("nid")
    assert again.weights()[nid][-1] > 10 > again.weights()[nid][0]


def test_cli_writes_unique_id_and_cluster_id(tmp_path: Path) -> None:
    table = make_table([r for _, r in RECORDS]).with_columns(
        person_id=pl.Series([ord(p) for p, _ in RECORDS]), household_id=pl.lit(1)
    )
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table.write_parquet(src)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.run([sys.executable, "-m", "services.matching.cli", "dedupe", str(src), "--out", str(out)],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "timing:" in proc.stderr
    clusters = pl.read_parquet(out)
    assert clusters.columns == ["unique_id", "cluster_id"]
    assert clusters.height == len(RECORDS)


def _dedupe_cli(src: Path, out: Path) -> Result:
    return CliRunner().invoke(cli_app, ["dedupe", str(src), "--out", str(out)])


def test_cli_reads_the_registrys_field_names_as_the_benchmark_files_names(tmp_path: Path) -> None:
    table = make_table([r for _, r in RECORDS])
    registry_names = table.rename({"dob": "date_of_birth", **{f"{relative}_{script}": f"{relative}_name_{script}"
                                   for relative in ("father", "mother", "spouse") for script in ("bn", "en")}})
    table.write_parquet(tmp_path / "bench.parquet")
    registry_names.write_parquet(tmp_path / "registry.parquet")
    for name in ("bench", "registry"):
        result = _dedupe_cli(tmp_path / f"{name}.parquet", tmp_path / f"{name}-out.parquet")
        assert result.exit_code == 0, result.output
        assert "compared on: " in result.output and "father_bn" in result.output.split("compared on: ")[1]
    assert pl.read_parquet(tmp_path / "registry-out.parquet").equals(pl.read_parquet(tmp_path / "bench-out.parquet"))


def test_cli_refuses_an_unreadable_file_and_ambiguous_ids(tmp_path: Path) -> None:
    (tmp_path / "not.parquet").write_text("name_en,phone\nRahima,01734311063\n")
    result = _dedupe_cli(tmp_path / "not.parquet", tmp_path / "out.parquet")
    assert result.exit_code == 2 and "cannot read" in result.output and "as Parquet" in result.output
    pl.DataFrame({"unique_id": ["a", "b", "a"], "name_en": ["Rahima Akter", "Salma Akter", "Rina Begum"]}
                 ).write_parquet(tmp_path / "twice.parquet")
    result = _dedupe_cli(tmp_path / "twice.parquet", tmp_path / "out.parquet")
    assert result.exit_code == 2 and "unique_id is not unique" in result.output and "'a'" in result.output
    assert not (tmp_path / "out.parquet").exists()


def test_cli_with_nothing_to_compare_warns_and_keeps_every_record_alone(tmp_path: Path) -> None:
    pl.DataFrame({"unique_id": [1, 2], "person_id": [7, 7], "remarks": ["same", "same"]}
                 ).write_parquet(tmp_path / "ids.parquet")
    result = _dedupe_cli(tmp_path / "ids.parquet", tmp_path / "out.parquet")
    assert result.exit_code == 0 and "warning" in result.output and "compared on: nothing" in result.output
    assert pl.read_parquet(tmp_path / "out.parquet")["cluster_id"].to_list() == [1, 2]


@pytest.mark.slow
def test_100k_bench_file_reaches_the_target() -> None:
    bench = Path(os.environ.get("SOMONNOY_BENCH_DIR", Path(__file__).resolve().parents[4] / "shared" / "bench"))
    path = bench / "bd_100000_s42.parquet"
    if not path.exists():
        pytest.skip(f"{path} not present")
    truth = pl.read_parquet(path, columns=["unique_id", "person_id"])
    table = pl.read_parquet(path).drop("person_id", "household_id")
    result = dedupe(table)
    pairs = pl.DataFrame({"person": truth["person_id"], "cluster": result.cluster_id})

    def n_pairs(cols: list[str]) -> int:
        return int(pairs.group_by(cols).len().select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())

    true_pairs, predicted, hits = n_pairs(["person"]), n_pairs(["cluster"]), n_pairs(["person", "cluster"])
    precision, recall = hits / predicted, hits / true_pairs
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.97, json.dumps({"precision": precision, "recall": recall})


def test_score_pairs_explains_each_field() -> None:
    table = make_table([r for _, r in RECORDS])
    labels = [p for p, _ in RECORDS]
    a_bn, a_en = labels.index("A"), labels.index("A") + 1
    sister = labels.index("B")
    scored = score_pairs(table, np.array([[a_bn, a_en], [a_bn, sister]]),
                         default_params(n_records=1_000_000))
    same, siblings = scored.row(0, named=True), scored.row(1, named=True)
    assert same["probability"] > 0.99
    assert same["nid_level"] == "exact" and same["nid_weight"] > 10  # 13 vs 17-digit NID
    assert same["name_level"] == "exact skeleton"  # Bangla-only vs Latin-only
    assert siblings["probability"] < 0.5
    assert siblings["name_weight"] < 0 and siblings["dob_weight"] < 0
    assert siblings["father_level"] == "exact skeleton"  # the household is recognised...
    assert siblings["spouse_level"] is None  # ...and a field missing on one side says nothing
    assert siblings["spouse_weight"] == 0
