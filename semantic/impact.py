"""Impact of an event, from a request to frames and a sentence.

Why here: the Event study page and ``installpulse impact`` must publish the same excess,
interval and sentence, from the same daily totals Explore shows. :func:`impact` reads the
treated app and its controls through :func:`semantic.totals.load` (the one totals path:
worldwide never added to countries, platforms summed, one source by precedence), hands the
series to the pure :func:`analytics.impact.impact`, and returns an :class:`ImpactAnswer`:
the per-day frame, a one-row summary, the controls' own moves, the sentence and the method
in words. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from analytics import formatting
from analytics import impact as estimate
from pipelines.errors import UsageError
from semantic import totals
from semantic.request import SeriesRequest

KEYS = list(totals.SERIES_KEYS)
PRE_DAYS = estimate.PRE_DAYS
POST_DAYS = estimate.POST_DAYS
METHODS = estimate.METHODS

CONTROL_COLUMNS = ("app", "weight", "actual", "expected", "change", "low_change", "high_change")


@dataclass(frozen=True)
class ImpactRequest:
    """What an impact answer depends on. ``series`` names the treated app first and the
    controls after it, one metric, and the slice (countries, platforms, sources, source
    precedence), exactly as an Explore request does; its range is the pre-period's first day
    to the post-period's last. ``method`` None = ``did`` with controls, else ``none``."""

    series: SeriesRequest
    event_date: date
    pre: int = PRE_DAYS
    post: int = POST_DAYS
    method: str | None = None
    level: float = estimate.LEVEL

    @classmethod
    def build(
        cls,
        app: str,
        metric: str,
        event_date: date,
        *,
        controls: object = None,
        countries: object = None,
        platforms: object = None,
        sources: object = None,
        prefer: object = None,
        pre: int = PRE_DAYS,
        post: int = POST_DAYS,
        method: str | None = None,
    ) -> ImpactRequest:
        """The one place arguments become an impact request (CLI and page)."""
        names = [app, *([controls] if isinstance(controls, str) else list(controls or []))]
        if method is not None and method not in METHODS:
            raise UsageError(f"Unknown method {method!r}: choose one of {', '.join(METHODS)}.")
        if pre < 1 or post < 1:
            raise UsageError(f"The pre- and post-periods need at least one day ({pre}, {post}).")
        series = SeriesRequest.build(
            names,
            [metric],
            event_date - timedelta(days=pre),
            event_date + timedelta(days=post - 1),
            countries=countries,
            platforms=platforms,
            sources=sources,
            prefer=prefer,
        )
        if len(series.apps) < len(names):
            raise UsageError(
                f"{app} is the app studied: it cannot also be its own control (or a control is "
                "named twice)."
            )
        return cls(series=series, event_date=event_date, pre=pre, post=post, method=method)

    @property
    def app(self) -> str:
        return self.series.apps[0]

    @property
    def controls(self) -> tuple[str, ...]:
        return self.series.apps[1:]

    @property
    def metric(self) -> str:
        return self.series.metrics[0]


@dataclass(frozen=True)
class ImpactAnswer:
    """``days``: keys + :data:`analytics.impact.DAY_COLUMNS` (pre and post days);
    ``summary``: one row (:meth:`analytics.impact.Impact.summary` with the keys);
    ``controls``: one row per control (:data:`CONTROL_COLUMNS`)."""

    request: ImpactRequest
    result: estimate.Impact
    days: pl.DataFrame
    summary: pl.DataFrame
    controls: pl.DataFrame
    sentence: str
    method_text: str
    sources: tuple[str, ...]


def _label(row: dict[str, object]) -> str:
    scope = formatting.fmt_scope(row.get("country"), row.get("platform"))  # type: ignore[arg-type]
    metric = formatting.fmt_metric(row.get("metric"))  # type: ignore[arg-type]
    return f"{row['app']}" + (f" ({scope})" if scope else "") + f" {metric}"


def impact(db: Path | str | None, request: ImpactRequest) -> ImpactAnswer:
    """Read the totals of the treated app and its controls and estimate the impact.

    UsageError (a sentence) for an unknown app or metric, a level metric, a slice without
    data, and everything :mod:`analytics.impact` refuses."""
    series, kinds, names = totals.load(db, request.series)
    metric = request.metric
    if kinds.get(metric) == "level":
        raise UsageError(
            f"{metric} is a level (a daily snapshot, not a count of events): an excess summed "
            "over days means nothing for it. Choose an event metric such as uninstalls."
        )
    if len(names) < len(request.series.apps):
        raise UsageError(
            f"{request.app} is the app studied: it cannot also be its own control (two names "
            "of one app were given)."
        )
    parts = {}
    for name in names:
        part = series.filter(pl.col("app") == name) if series.height else series
        if not part.filter(pl.col("value").is_not_null()).height:
            scope = ", ".join(request.series.countries + request.series.platforms)
            raise UsageError(
                f"No observations of {name} {metric}"
                + (f" ({scope})" if scope else "")
                + f" between {request.series.start} and {request.series.end}."
            )
        keys = part.select(KEYS).unique()
        if keys.height > 1:
            raise UsageError(
                f"{name} {metric} is more than one series in this slice: choose one value per "
                "dimension or leave it to be totalled."
            )
        parts[name] = part
    treated_name, control_names = names[0], names[1:]
    treated = parts[treated_name]
    key_row = treated.select(KEYS).row(0, named=True)
    label = _label(key_row)
    try:
        result = estimate.impact(
            treated.select("date", "value"),
            request.event_date,
            pre=request.pre,
            post=request.post,
            controls={n: parts[n].select("date", "value") for n in control_names},
            method=request.method,
            level=request.level,
            label=label,
        )
    except ValueError as exc:  # ImpactRefused included: a sentence already
        text = str(exc)
        raise UsageError(text[:1].upper() + text[1:]) from None
    days = result.days.select(
        *[pl.lit(key_row[k], pl.String).alias(k) for k in KEYS], *estimate.DAY_COLUMNS
    )
    summary = pl.DataFrame([{**key_row, **result.summary()}])
    controls = pl.DataFrame(
        [
            {
                "app": c.name,
                "weight": c.weight,
                "actual": c.actual,
                "expected": c.expected,
                "change": c.change,
                "low_change": c.change_low,
                "high_change": c.change_high,
            }
            for c in result.controls
        ],
        schema={
            "app": pl.String,
            **{c: pl.Float64 for c in CONTROL_COLUMNS[1:]},
        },
    )
    found: set[str] = set()
    for text in series.get_column("source").unique().to_list():
        found.update(p for p in str(text).split("+") if p)
    return ImpactAnswer(
        request=request,
        result=result,
        days=days,
        summary=summary,
        controls=controls,
        sentence=estimate.sentence(result),
        method_text=estimate.method_text(result),
        sources=tuple(sorted(found)),
    )
