"""Explore's answer caches hand every session the same objects (``st.cache_resource``, no
pickled copies; app_pages/common.py says why), so a page run must leave a cached reading and
answer exactly as it found them: a rerun that changes only the view, the right-hand axis or the
selected day draws from the same cached answer, and the answer is afterwards equal, frame for
frame, to what it was when it was made."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from app_helpers import STORY, open_page

from semantic import answer


def _snapshot(obj: object) -> dict:
    """Every field of a frozen dataclass, frames cloned (a clone does not follow in-place
    changes of the original), the rest deep-copied."""
    return {
        f.name: (
            value.clone()
            if isinstance(value := getattr(obj, f.name), pl.DataFrame)
            else copy.deepcopy(value)
        )
        for f in dataclasses.fields(obj)  # type: ignore[arg-type]
    }


def _unchanged(obj: object, snapshot: dict) -> None:
    for name, before in snapshot.items():
        now = getattr(obj, name)
        if isinstance(before, pl.DataFrame):
            assert now.equals(before, null_equal=True), f"{type(obj).__name__}.{name} changed"
        else:
            assert now == before, f"{type(obj).__name__}.{name} changed"


def test_reruns_share_the_cached_answer_and_leave_it_as_it_was(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[tuple[object, dict]] = []
    real_read, real_from_reading = answer.read, answer.from_reading

    def reading(db, request, **options):
        out = real_read(db, request, **options)
        made.append((out, _snapshot(out)))
        return out

    def from_reading(found, request):
        out = real_from_reading(found, request)
        made.append((out, _snapshot(out)))
        return out

    monkeypatch.setattr(answer, "read", reading)
    monkeypatch.setattr(answer, "from_reading", from_reading)
    at = open_page("app_pages/explore.py", STORY)
    assert not at.exception, at.exception
    assert len(made) == 2  # one reading, one answer
    first_table = at.dataframe[-1].value

    # The same request seen three other ways: each rerun takes the cached answer.
    at.segmented_control(key="x_view").set_value("change").run()
    assert not at.exception, at.exception
    at.segmented_control(key="x_view").set_value("absolute").run()
    at.multiselect(key="x_right").set_value(["Claude"]).run()
    assert not at.exception, at.exception
    at.select_slider(key="x_day").set_value(date(2026, 3, 2)).run()
    assert not at.exception, at.exception
    assert len(made) == 2, "a rerun of the same request computed its answer again"
    assert at.dataframe[-1].value.equals(first_table)

    for obj, snapshot in made:
        _unchanged(obj, snapshot)
