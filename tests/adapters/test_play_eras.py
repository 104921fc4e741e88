"""Google Play installs reports of other eras: the Current Device/User Installs levels before
December 2016, and columns Play kept writing as 0 after it stopped filling them."""

from __future__ import annotations

from pathlib import Path

from adapter_helpers import fixture, metric_values, one
from make_fixtures_formats import FIXTURES, utf16, write_all

from pipelines import contract, sql, store

OLD = "com.example.old"
APP = "com.example.chat"
MAY_2016 = fixture("google_play", "2016/installs_com.example.old_201605_country.csv")
NOV_2016 = fixture("google_play", "2016/installs_com.example.old_201611_overview.csv")
JUL_2018 = fixture("google_play", "deprecated/installs_com.example.chat_201807_overview.csv")
AUG_2019 = fixture("google_play", "deprecated/installs_com.example.chat_201908_country.csv")


def test_formats_fixtures_are_reproducible(tmp_path: Path):
    for relative, data in write_all(tmp_path).items():
        assert (FIXTURES / relative).read_bytes() == data, relative


def test_2016_fixtures_are_utf16le_with_bom_and_the_old_header():
    for path in (MAY_2016, NOV_2016):
        data = path.read_bytes()
        assert data[:2] == b"\xff\xfe"
        header = data[2:].decode("utf-16-le").split("\r\n")[0]
        assert "Current Device Installs" in header and "Current User Installs" in header


def test_2016_country_file_imports_levels_as_their_own_metrics(db: Path):
    result = contract.ingest_file(MAY_2016, db)
    assert result.format == "google-play-installs"
    # 4 rows x 8 metric columns
    assert result.rows == 32
    assert one(db, OLD, "US", "2016-05-01", "current_device_installs") == 52310
    assert one(db, OLD, "US", "2016-05-01", "current_user_installs") == 48800
    assert one(db, OLD, "US", "2016-05-01", "total_user_installs") == 90120
    assert one(db, OLD, "DE", "2016-05-02", "installs") == 30
    assert one(db, OLD, "DE", "2016-05-02", "device_installs") is None  # blank cell
    # Never folded into active_devices (another definition: active in the last 30 days).
    assert metric_values(db, metric="active_devices") == {}
    with store.connect(db) as con:
        kinds = dict(
            sql.run_text(
                con,
                "select metric, kind from metrics where metric in "
                "('current_device_installs', 'current_user_installs')",
            )
        )
    assert kinds == {"current_device_installs": "level", "current_user_installs": "level"}


def test_2016_overview_with_both_level_columns(db: Path):
    result = contract.ingest_file(NOV_2016, db)
    assert result.rows == 18
    assert one(db, OLD, "WW", "2016-11-02", "current_device_installs") == 61310
    assert one(db, OLD, "WW", "2016-11-02", "active_devices") == 40300
    assert one(db, OLD, "WW", "2016-11-01", "uninstalls") == 110


def test_total_user_installs_zero_after_july_2018_is_not_reported(db: Path):
    result = contract.ingest_file(JUL_2018, db)
    assert one(db, APP, "WW", "2018-07-16", "total_user_installs") == 170950
    assert one(db, APP, "WW", "2018-07-17", "total_user_installs") is None
    assert one(db, APP, "WW", "2018-07-18", "total_user_installs") is None
    # The other columns are untouched (device uninstalls still filled in 2018).
    assert one(db, APP, "WW", "2018-07-18", "device_uninstalls") == 299
    notice = [n for n in result.notices if "Total User Installs" in n]
    assert len(notice) == 1
    assert "2018-07-17" in notice[0] and "not reported" in notice[0] and "2 day(s)" in notice[0]


def test_device_columns_zero_after_july_2019_are_not_reported(db: Path):
    result = contract.ingest_file(AUG_2019, db)
    for metric in ("device_uninstalls", "device_upgrades", "total_user_installs"):
        values = metric_values(db, metric=metric)
        assert values and all(v is None for v in values.values()), metric
    # Columns Play still fills keep their values, measured zeros included.
    assert one(db, APP, "US", "2019-08-02", "uninstalls") == 101
    assert one(db, APP, "IN", "2019-08-01", "device_installs") == 55
    text = " ".join(result.notices)
    for column in ("Daily Device Uninstalls", "Daily Device Upgrades", "Total User Installs"):
        assert column in text


def test_deprecated_column_with_values_is_still_imported(db: Path, tmp_path: Path):
    text = AUG_2019.read_bytes()[2:].decode("utf-16-le")
    text = text.replace(
        "2019-08-02,com.example.chat,US,420,0,", "2019-08-02,com.example.chat,US,420,7,"
    )
    path = tmp_path / "installs_com.example.chat_201908_country.csv"
    path.write_bytes(utf16(text))
    result = contract.ingest_file(path, db)
    # Daily Device Uninstalls has a non-zero value after its cutoff: imported as it is.
    assert one(db, APP, "US", "2019-08-02", "device_uninstalls") == 7
    assert one(db, APP, "US", "2019-08-01", "device_uninstalls") == 0
    assert one(db, APP, "US", "2019-08-01", "device_upgrades") is None
    assert not any("Daily Device Uninstalls" in n for n in result.notices)


def test_zero_before_the_cutoff_stays_a_measured_zero(db: Path, tmp_path: Path):
    text = JUL_2018.read_bytes()[2:].decode("utf-16-le").replace(",170100,", ",0,")
    path = tmp_path / "installs_com.example.chat_201807_overview.csv"
    path.write_bytes(utf16(text))
    contract.ingest_file(path, db)
    assert one(db, APP, "WW", "2018-07-15", "total_user_installs") == 0
