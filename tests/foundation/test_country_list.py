"""The country rule's code list is pycountry's ISO 3166-1 list, bound into SQL as data.

Nothing in installpulse types the ISO codes: the temp table the rule reads is built from
pycountry for each import (pipelines/countries.py -> queries/import_countries.sql).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pycountry
import pytest

from pipelines import contract, countries, sql, store
from pipelines.adapters import apple_installs, apple_web, google_play

REPO = Path(__file__).resolve().parents[2]


def _table(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[bool, str | None]]:
    sql.run(con, "import_countries", **countries.rules_table())
    rows = sql.run_text(con, "select country, accepted, hint from import_countries")
    return {code: (accepted, hint) for code, accepted, hint in rows}


def test_the_table_the_rule_reads_is_pycountrys_list_plus_the_documented_codes() -> None:
    with duckdb.connect() as con:
        table = _table(con)
    accepted = {code for code, (ok, _) in table.items() if ok}
    iso = {c.alpha_2 for c in pycountry.countries}
    assert len(iso) == 249  # pycountry 26.2: every assigned alpha-2 code
    assert accepted == iso | {"WW", "ZZ", "XK", "AN"}
    # every wrong spelling has a hint, and none of them is an accepted code
    assert all(hint for ok, hint in table.values() if not ok)


def test_recent_and_renamed_assignments_are_accepted_withdrawn_ones_are_not() -> None:
    """SS (South Sudan, 2011), CW, SX and BQ (2010) come from the library, as does the
    withdrawal of CS (Serbia and Montenegro, 2006) and YU (Yugoslavia, 2003)."""
    assert {"SS", "CW", "SX", "BQ", "TR", "MK", "SZ"} <= countries.accepted()
    hints = countries.hints()
    assert hints["CS"].startswith("CS was withdrawn from ISO 3166-1 (")
    assert "Serbia and Montenegro, 2006" in hints["CS"]
    assert hints["YU"] == (
        "YU was withdrawn from ISO 3166-1 (Yugoslavia, (Socialist) Federal Republic of, 2003)."
    )


def test_hints_name_the_alpha_2_code() -> None:
    hints = countries.hints()
    assert hints["UK"] == (
        "the ISO code is GB (UK is reserved for the United Kingdom but not assigned)."
    )
    assert hints["EL"] == "the ISO code is GR (EL is the EU's abbreviation for Greece)."
    assert hints["GBR"] == "the ISO code is GB (GBR is the alpha-3 code)."
    assert hints["276"] == "the ISO code is DE (276 is the numeric code)."
    assert hints["UNITED STATES"] == "the ISO code is US (United States)."
    assert hints["SOUTH KOREA"] == "the ISO code is KR (Korea, Republic of)."
    assert hints["UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND"] == (
        "the ISO code is GB (United Kingdom)."
    )


def test_no_import_query_spells_out_country_codes() -> None:
    """The list reaches SQL as bound data: the country rule and the queries that apply it quote
    no code (WW and ZZ included: they are countries.CONVENTIONS)."""
    rules = (REPO / "queries" / "import_rules.sql").read_text(encoding="utf-8")
    macro = rules[rules.index("macro ip_country_error") :].split(";")[0]
    texts = {"ip_country_error": macro}
    for name in ("import_countries", "import_typed", "import_fast_problems"):
        texts[name] = (REPO / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    for name, text in texts.items():
        code = "\n".join(line.split("--")[0] for line in text.splitlines())
        assert not re.findall(r"'[A-Z]{2}'", code), name
    assert "$country_keys" in texts["import_countries"]


def test_adapters_produce_codes_the_rule_accepts() -> None:
    """The territory names Apple's web export maps, and the codes adapters stage themselves."""
    assert set(apple_web.COUNTRY_NAMES.values()) <= countries.accepted()
    assert apple_web._country("Vereinigtes Königreich") == "GB"
    assert apple_web._country("Total") == "WW"
    assert {google_play.UNKNOWN_COUNTRY, apple_installs.UNKNOWN_COUNTRY} == {"ZZ"}


def test_the_demo_data_uses_assigned_codes_only() -> None:
    with (REPO / "data" / "demo" / "observations.csv").open(encoding="utf-8") as fh:
        codes = {row["country"] for row in csv.DictReader(fh)}
    assert codes == {"BR", "DE", "GB", "IN", "US"}
    assert codes <= countries.assigned()


@pytest.mark.parametrize("code", ["SS", "CW"])
def test_a_recently_assigned_code_imports(tmp_path: Path, code: str) -> None:
    path = tmp_path / "recent.csv"
    path.write_bytes(f"date,app,country,metric,value\n2024-01-05,Foo,{code},installs,7\n".encode())
    result = contract.ingest_file(path, tmp_path / "t.duckdb")
    assert (result.status, result.rows) == ("imported", 1)
    with store.connect(tmp_path / "t.duckdb") as con:
        assert sql.run_text(con, "select country, value from daily_metrics") == [(code, 7.0)]
