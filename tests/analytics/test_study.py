"""Event study and its summary, worked out by hand (event Fri 27 Feb 2026, reference -3..-1)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from analytics_helpers import SKIP, d, row, series

from analytics.study import event_study, study_summary

EVENT = date(2026, 2, 27)


def apps() -> pl.DataFrame:
    return pl.concat(
        [
            # A: reference 24..26 Feb = 90, 100, 110 -> mean 100, deviation (0.1 + 0 + 0.1) / 3
            series([90, 100, 110, 100, 395, 200, 105], "2026-02-24", app="A"),
            # B: reference 40, 50, 60 -> 50, deviation (0.2 + 0 + 0.2) / 3; 1 Mar absent
            series([40, 50, 60, 45, 75, SKIP, 70], "2026-02-24", app="B"),
            # C: reference 10, NULL, 10 -> 2 of 3 days < ceil(0.75 * 3) = 3 -> no reference
            series([10, None, 10, 10, 20], "2026-02-24", app="C"),
        ]
    )


def study() -> pl.DataFrame:
    return event_study(apps(), EVENT, pre=3, post=3, ref_start_offset=-3, ref_end_offset=-1)


def test_offsets_align_every_series_on_day_zero() -> None:
    out = study()
    assert out.height == 3 * 7  # offsets -3..+3 for each of A, B, C
    for app in ("A", "B", "C"):
        sub = out.filter(pl.col("app") == app)
        assert sub["offset"].to_list() == [-3, -2, -1, 0, 1, 2, 3]
        assert sub.filter(pl.col("offset") == 0)["date"].to_list() == [EVENT]
    assert row(out, "2026-02-24", app="A")["offset"] == -3


def test_reference_change_and_multiple() -> None:
    out = study()
    a1 = row(out, "2026-02-28", app="A")
    assert a1["reference"] == pytest.approx(100.0)  # (90 + 100 + 110) / 3
    assert a1["change"] == pytest.approx(2.95)  # 395 / 100 - 1
    assert a1["multiple"] == pytest.approx(3.95)
    assert a1["reference_deviation"] == pytest.approx(0.2 / 3)
    assert a1["reference_label"] == "vs the mean of days -3..-1"
    b2 = row(out, "2026-03-01", app="B")
    assert b2["value"] is None and b2["reason"] == "no observation on this day"
    c = row(out, "2026-02-28", app="C")
    assert c["reference"] is None and c["change"] is None
    assert c["reason"] == "only 2 of 3 reference days observed (minimum 3)"


def test_summary_peak_and_back_within_typical_range() -> None:
    s = {r["app"]: r for r in study_summary(study()).rows(named=True)}
    a = s["A"]
    # Peak: offsets 0..3 changes 0, 2.95, 1.0, 0.05 -> 2.95 at day +1.
    assert (a["peak_offset"], a["peak_date"]) == (1, d("2026-02-28"))
    assert a["peak_change"] == pytest.approx(2.95) and a["peak_value"] == 395
    # Band 0.0667: day +2 |1.0| no, day +3 |0.05| yes -> back at +3, 2 days after the peak.
    assert (a["back_offset"], a["back_date"], a["days_after_peak"]) == (3, d("2026-03-02"), 2)
    b = s["B"]
    # Changes: 0 -> -0.1, +1 -> 0.5, +2 absent, +3 -> 0.4; band 0.133: never back.
    assert b["peak_change"] == pytest.approx(0.5) and b["peak_offset"] == 1
    assert b["back_offset"] is None and b["back_date"] is None and b["days_after_peak"] is None
    assert b["post"] == 3
    c = s["C"]
    assert c["peak_change"] is None
    assert c["reason"] == "only 2 of 3 reference days observed (minimum 3)"


def test_summary_with_a_given_typical_band() -> None:
    # With a 50% band B's day +3 (|0.4| <= 0.5) counts as back: 2 days after the peak.
    b = study_summary(study(), typical=0.5).filter(pl.col("app") == "B").row(0, named=True)
    assert (b["back_offset"], b["days_after_peak"], b["typical_change"]) == (3, 2, 0.5)
    per_series = pl.DataFrame({"app": ["A", "B"], "typical_change": [0.01, 0.45]})
    s = study_summary(study(), typical=per_series)
    a = s.filter(pl.col("app") == "A").row(0, named=True)
    assert a["back_offset"] is None  # |0.05| > 0.01
    assert s.filter(pl.col("app") == "B")["back_offset"].to_list() == [3]  # 0.4 <= 0.45


def test_bad_windows() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        event_study(apps(), EVENT, ref_start_offset=-1, ref_end_offset=-3)
