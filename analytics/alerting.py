"""When a watch rule fires, and how its firing days group into episodes (pure polars).

Why a module of its own: an alert must fire on exactly the numbers Explore shows, so the
caller (``pipelines.alerts``) computes them with the semantic core - change, multiple and
method from :func:`analytics.baselines.compute`, the robust score from
:func:`analytics.spikes.score` - and only the decision is made here: which days fire, and
which firing days are one episode. One message goes out per episode, not per day, so the
grouping is what keeps a three-day spike from sending three messages.

A rule is either on the robust spike score (``kind="score"``: fires when ``|score| >=
threshold`` in its direction) or on the change against a baseline method (``kind="change"``,
``threshold`` a fraction: 1.0 = +100%; "up" fires when ``change >= threshold``, "down" when
``change <= -threshold``, "both" on either). A day without a score or change never fires.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

KINDS = ("score", "change")
DIRECTIONS = ("up", "down", "both")


def check_rule(kind: str, threshold: float, direction: str) -> None:
    """Refuse what can never fire or is not a rule (ValueError naming the valid values)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if not threshold > 0:
        raise ValueError(f"the threshold must be above 0, got {threshold!r}")
    if kind == "change" and direction == "down" and threshold > 1:
        raise ValueError(
            f"a fall cannot exceed 100% (the value would be below zero), got -{threshold:.0%}"
        )


def firing(days: pl.DataFrame, kind: str, threshold: float, direction: str) -> pl.DataFrame:
    """The days of ``days`` on which the rule fires, with ``signal`` (the score or the change
    the rule reads) and ``direction`` ('up' / 'down', from the signal's sign).

    ``days`` needs a ``score`` column for score rules and a ``change`` column for change
    rules; every other column is kept."""
    check_rule(kind, threshold, direction)
    signal = pl.col("score") if kind == "score" else pl.col("change")
    out = days.with_columns(signal=signal.cast(pl.Float64)).with_columns(
        direction=pl.when(pl.col("signal") > 0)
        .then(pl.lit("up"))
        .when(pl.col("signal") < 0)
        .then(pl.lit("down"))
    )
    fires = pl.col("signal").abs() >= threshold
    if direction != "both":
        fires &= pl.col("direction") == direction
    return out.filter(fires.fill_null(False))


def episodes(flagged: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Runs of consecutive firing days (calendar days, no gap) of one series and direction.

    One row per run: the keys, ``direction``, ``start_date``, ``end_date``, ``n_days`` and
    ``peak_date`` - the day with the largest |signal| (the earliest of equal ones)."""
    keys = list(keys)
    group = [*keys, "direction"]
    if not flagged.height:
        schema = {k: flagged.schema.get(k, pl.String) for k in group}
        return pl.DataFrame(
            schema={
                **schema,
                "start_date": pl.Date,
                "end_date": pl.Date,
                "n_days": pl.Int32,
                "peak_date": pl.Date,
            }
        )
    ordered = flagged.sort([*group, "date"])
    gap = (pl.col("date") - pl.col("date").shift(1)).dt.total_days().over(group)
    runs = ordered.with_columns(__new=(gap.is_null() | (gap > 1)).cast(pl.Int32)).with_columns(
        __run=pl.col("__new").cum_sum().over(group)
    )
    peak_order = [pl.col("signal").abs(), pl.col("date")]
    return (
        runs.group_by(*group, "__run", maintain_order=True)
        .agg(
            start_date=pl.col("date").min(),
            end_date=pl.col("date").max(),
            n_days=pl.len().cast(pl.Int32),
            peak_date=pl.col("date")
            .sort_by(peak_order, descending=[True, False], nulls_last=True)
            .first(),
        )
        .drop("__run")
        .sort([*keys, "start_date", "direction"])
    )
