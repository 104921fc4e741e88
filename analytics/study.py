"""Event studies: several series lined up on the day of an event.

Why: "did uninstalls jump after the announcement?" is a question about days relative to the
event, not calendar days, and about a reference that predates it. :func:`event_study` puts
every series on the same axis (offset 0 = the event day) and compares each day with the mean
of a pre-event reference window (default days -14..-1). :func:`study_summary` reduces that to
the numbers a sentence needs: the peak, when it came, and when the series was back within its
typical range.

Typical range, precisely: ``|change| <= reference_deviation``, where ``reference_deviation`` is
the mean absolute relative deviation of the reference window's days from the reference mean,
``mean(|v_t / reference - 1|)`` for t in the window. It is how far an ordinary pre-event day
strayed from the reference, on the same scale as ``change``. A caller may pass its own band
(e.g. the typical day-over-day change).

The reference needs ``ceil(0.75 * reference window days)`` observed days (11 of 14).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from analytics._frame import finish, prepare, resolve_keys


def event_study(
    frame: pl.DataFrame,
    event_date: date,
    pre: int = 14,
    post: int = 14,
    ref_start_offset: int = -14,
    ref_end_offset: int = -1,
    keys: Sequence[str] | None = None,
    min_ref_obs: int | None = None,
) -> pl.DataFrame:
    """One row per series per day offset ``-pre .. +post`` around ``event_date``.

    Columns: keys, ``event_date``, ``offset``, ``date``, ``value`` (NULL where not observed),
    ``reference`` (mean of the reference window ``ref_start_offset .. ref_end_offset``),
    ``reference_obs``, ``reference_deviation`` (see module docstring), ``reference_label``,
    ``change`` (value / reference - 1), ``multiple`` and ``reason`` (why change is NULL).
    Every series gets every offset, so several apps align on day 0 in one frame.
    """
    if pre < 0 or post < 0:
        raise ValueError(f"pre and post must be >= 0 days, got pre={pre}, post={post}")
    if ref_end_offset < ref_start_offset:
        raise ValueError(
            f"reference window ends (day {ref_end_offset}) before it starts "
            f"(day {ref_start_offset})"
        )
    ref_days = ref_end_offset - ref_start_offset + 1
    need = math.ceil(0.75 * ref_days) if min_ref_obs is None else min_ref_obs
    if not 1 <= need <= ref_days:
        raise ValueError(f"min_ref_obs must be between 1 and {ref_days}, got {need}")
    keys_list = resolve_keys(frame, keys)
    df, work_keys = prepare(frame, keys_list)
    ref_start = event_date + timedelta(days=ref_start_offset)
    ref_end = event_date + timedelta(days=ref_end_offset)
    label = f"vs the mean of days {ref_start_offset:+d}..{ref_end_offset:+d}"

    in_ref = df.filter(pl.col("date").is_between(ref_start, ref_end), pl.col("value").is_not_null())
    ref = in_ref.group_by(work_keys).agg(
        __ref=pl.col("value").mean(), reference_obs=pl.len().cast(pl.Int32)
    )
    deviation = (
        in_ref.join(ref, on=work_keys, nulls_equal=True)
        .group_by(work_keys)
        .agg(
            reference_deviation=pl.when(pl.col("__ref") != 0)
            .then((pl.col("value") / pl.col("__ref") - 1).abs())
            .mean()
        )
    )
    offsets = pl.DataFrame({"offset": pl.int_range(-pre, post + 1, eager=True).cast(pl.Int32)})
    out = (
        df.select(work_keys)
        .unique()
        .join(offsets, how="cross")
        .with_columns(date=pl.lit(event_date) + pl.duration(days=pl.col("offset")))
        .join(df, on=[*work_keys, "date"], how="left", nulls_equal=True)
        .join(ref, on=work_keys, how="left", nulls_equal=True)
        .join(deviation, on=work_keys, how="left", nulls_equal=True)
        .with_columns(pl.col("reference_obs").fill_null(0))
        .with_columns(
            reference=pl.when(pl.col("reference_obs") >= need).then(pl.col("__ref")),
        )
        .with_columns(
            reference_deviation=pl.when(pl.col("reference").is_not_null()).then(
                pl.col("reference_deviation")
            ),
        )
    )
    ok = (
        pl.col("value").is_not_null()
        & pl.col("reference").is_not_null()
        & (pl.col("reference") != 0)
    )
    out = out.with_columns(
        event_date=pl.lit(event_date),
        reference_label=pl.lit(label),
        change=pl.when(ok).then(pl.col("value") / pl.col("reference") - 1),
        multiple=pl.when(ok).then(pl.col("value") / pl.col("reference")),
        reason=pl.when(pl.col("value").is_null())
        .then(pl.lit("no observation on this day"))
        .when(pl.col("reference").is_null())
        .then(
            pl.format(
                "only {} of {} reference days observed (minimum {})",
                "reference_obs",
                pl.lit(ref_days),
                pl.lit(need),
            )
        )
        .when(pl.col("reference") == 0)
        .then(pl.lit("reference is zero")),
    ).select(
        *work_keys,
        "event_date",
        "offset",
        "date",
        "value",
        "reference",
        "reference_obs",
        "reference_deviation",
        "reference_label",
        "change",
        "multiple",
        "reason",
    )
    return finish(out, work_keys)


def study_summary(
    study: pl.DataFrame,
    typical: float | pl.DataFrame | None = None,
    keys: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Per series: the peak after the event and the day it was back within the typical range.

    The peak is the day with the largest ``|change|`` at offset >= 0 (earliest on ties):
    ``peak_change``, ``peak_multiple``, ``peak_offset``, ``peak_date``, ``peak_value``.
    ``typical_change`` is the band: ``typical`` if given (a fraction for every series, or a
    frame of keys + ``typical_change``), else the series' ``reference_deviation``.
    ``back_offset``/``back_date`` is the first day after the peak with an observed
    ``|change| <= typical_change``; ``days_after_peak`` = back_offset - peak_offset; all three
    NULL when the series never came back within the study window (``post`` = last offset).
    """
    meta = {"event_date", "offset", "date", "value", "reference", "reference_obs"}
    meta |= {"reference_deviation", "reference_label", "change", "multiple", "reason"}
    if keys is None:
        keys_list = [c for c in study.columns if c not in meta]
    else:
        keys_list = list(keys)
    work = keys_list or ["__one"]
    if not keys_list:
        study = study.with_columns(__one=pl.lit(0))
    series = study.group_by(work).agg(
        event_date=pl.col("event_date").first(),
        reference=pl.col("reference").first(),
        reference_label=pl.col("reference_label").first(),
        reference_deviation=pl.col("reference_deviation").first(),
        post=pl.col("offset").max(),
        reason=pl.col("reason").filter(pl.col("offset") >= 0).drop_nulls().first(),
    )
    peaks = (
        study.filter(pl.col("offset") >= 0, pl.col("change").is_not_null())
        .sort(
            [*work, pl.col("change").abs(), "offset"],
            descending=[*[False] * len(work), True, False],
        )
        .group_by(work, maintain_order=True)
        .first()
        .select(
            *work,
            peak_change=pl.col("change"),
            peak_multiple=pl.col("multiple"),
            peak_offset=pl.col("offset"),
            peak_date=pl.col("date"),
            peak_value=pl.col("value"),
        )
    )
    out = series.join(peaks, on=work, how="left", nulls_equal=True)
    if typical is None:
        out = out.with_columns(typical_change=pl.col("reference_deviation"))
    elif isinstance(typical, pl.DataFrame):
        out = out.join(
            typical.select(*keys_list, "typical_change"), on=keys_list, how="left", nulls_equal=True
        )
    else:
        out = out.with_columns(typical_change=pl.lit(float(typical)))
    back = (
        study.join(out.select(*work, "peak_offset", "typical_change"), on=work, nulls_equal=True)
        .filter(
            pl.col("offset") > pl.col("peak_offset"),
            pl.col("change").abs() <= pl.col("typical_change"),
        )
        .group_by(work)
        .agg(back_offset=pl.col("offset").min(), back_date=pl.col("date").min())
    )
    out = (
        out.join(back, on=work, how="left", nulls_equal=True)
        .with_columns(
            days_after_peak=pl.col("back_offset") - pl.col("peak_offset"),
            reason=pl.when(pl.col("peak_change").is_null()).then(pl.col("reason")),
        )
        .select(
            *work,
            "event_date",
            "reference",
            "reference_label",
            "typical_change",
            "peak_change",
            "peak_multiple",
            "peak_offset",
            "peak_date",
            "peak_value",
            "back_offset",
            "back_date",
            "days_after_peak",
            "post",
            "reason",
        )
        .sort(work, nulls_last=True)
    )
    return out.drop("__one") if not keys_list else out
