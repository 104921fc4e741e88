"""What the pages show, computed without Streamlit: explorer state <-> query string <->
request, the overview's movers and episodes, the sentences under a chart.

Pages stay thin (STYLE.md lesson 1): they read widgets into an :class:`ExploreState`, turn it
into a :class:`semantic.request.SeriesRequest` (:meth:`ExploreState.request`), ask
:func:`semantic.answer.answer` - the same call behind ``installpulse series`` - and lay out
the result with these helpers. Keeping this module free of Streamlit lets tests check it
directly and lets `common` cache it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

import polars as pl

from analytics import baselines, formatting, spikes
from semantic import answer, presets
from semantic.answer import KEYS as SERIES_KEYS
from semantic.answer import RESULT_COLUMNS
from semantic.request import FIRST_PARTY, SeriesRequest

VIEWS = ("absolute", "change", "index")
VIEW_LABELS = {
    "absolute": "Absolute",
    "change": "% vs baseline",
    "index": "Index (=100)",
}
GRAINS = presets.GRAINS
BASELINE_CHOICES = {m: presets.preset_label(m) for m in presets.BASELINE_PRESETS}
TYPICAL_WINDOW = presets.TYPICAL_WINDOW
SPIKE_WINDOW = presets.SPIKE_WINDOW
SPIKE_THRESHOLD = presets.SPIKE_THRESHOLD
DEMO_SOURCE = "demo"


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v not in (None, "")]  # type: ignore[union-attr]


def _as_date(value: object) -> date | None:
    text = _as_list(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[-1])
    except ValueError:
        return None


@dataclass
class ExploreState:
    """Everything that defines an explorer view; the query string carries all of it."""

    apps: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    baseline: str = "previous-day"
    grain: str = "day"
    view: str = "absolute"
    day: date | None = None
    right: list[str] = field(default_factory=list)
    prefer: list[str] = field(default_factory=list)

    LISTS = ("apps", "metrics", "countries", "platforms", "right", "prefer")

    def to_params(self) -> dict[str, str | list[str]]:
        """Query parameters (lists as repeated keys); empty values are left out."""
        out: dict[str, str | list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self.LISTS:
                if value:
                    out[f.name] = list(value)
            elif isinstance(value, date):
                out[f.name] = value.isoformat()
            elif value:
                out[f.name] = str(value)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> ExploreState:
        """Parse query parameters (str or list values); unknown or bad values are dropped,
        `sanitize` then fits the state to what the database holds."""
        state = cls()
        for name in cls.LISTS:
            setattr(state, name, _as_list(params.get(name)))
        state.start = _as_date(params.get("start"))
        state.end = _as_date(params.get("end"))
        state.day = _as_date(params.get("day"))
        baseline = _as_list(params.get("baseline"))
        if baseline:
            try:
                state.baseline = baselines.parse_method(baseline[-1]).name
            except ValueError:
                pass
        grain = _as_list(params.get("grain"))
        if grain and grain[-1] in GRAINS:
            state.grain = grain[-1]
        view = _as_list(params.get("view"))
        if view and view[-1] in VIEWS:
            state.view = view[-1]
        return state

    def sanitize(self, options: Mapping[str, object]) -> ExploreState:
        """Keep only values the database offers; fill sensible defaults for an analyst."""
        apps = _as_list(options.get("apps"))
        metrics = _as_list(options.get("metrics"))
        countries = _as_list(options.get("countries"))
        platforms = _as_list(options.get("platforms"))
        first, last = options.get("first_date"), options.get("last_date")
        out = ExploreState(**{f.name: getattr(self, f.name) for f in fields(self)})
        out.apps = [a for a in out.apps if a in apps] or apps[:2]
        out.metrics = [m for m in out.metrics if m in metrics] or _default_metric(metrics)
        out.countries = [c for c in out.countries if c in countries]
        out.platforms = [p for p in out.platforms if p in platforms]
        out.right = [a for a in out.right if a in out.apps]
        sources = _as_list(options.get("sources"))
        out.prefer = [s for s in out.prefer if s in sources] if sources else out.prefer
        if isinstance(last, date) and isinstance(first, date):
            end = out.end or last
            end = min(max(end, first), last)
            start = out.start or max(first, end - timedelta(days=presets.EXPLORE_SPAN_DAYS - 1))
            start = min(max(start, first), end)
            out.start, out.end = start, end
            if out.day is None or not start <= out.day <= end:
                out.day = None
        try:
            baselines.lookback_days(out.baseline, out.grain)
        except ValueError:
            out.grain = "day"
        return out

    def request(self) -> SeriesRequest:
        """The request this view asks (the chart, the numbers and the exports all answer it).

        Raises ValueError for a baseline method that is not valid (or not at this grain)."""
        assert self.start is not None and self.end is not None
        return SeriesRequest.build(
            self.apps,
            self.metrics,
            self.start,
            self.end,
            countries=self.countries,
            platforms=self.platforms,
            grain=self.grain,
            method=self.baseline,
            prefer=self.prefer or FIRST_PARTY,
        )


def _default_metric(metrics: Sequence[str]) -> list[str]:
    for preferred in ("uninstalls", "downloads", "installs"):
        if preferred in metrics:
            return [preferred]
    return list(metrics[:1])


def peak_day(results: pl.DataFrame) -> date | None:
    """The day with the largest |change| on the chart: a useful default selected day."""
    if not results.height or "change" not in results.columns:
        return None
    ranked = results.drop_nulls("change").sort(pl.col("change").abs(), descending=True)
    return ranked.get_column("date")[0] if ranked.height else results.get_column("date").max()


def scope_label(row: Mapping[str, object]) -> str:
    """The scope in a sentence, as the CLI writes it: "US, iOS+Android"."""
    return formatting.fmt_scope(row.get("country"), row.get("platform"))


def day_sentences(results: pl.DataFrame, day: date | None) -> list[str]:
    """The published-style sentence for each series on the selected day (plain text)."""
    if day is None or not results.height:
        return []
    rows = results.filter(pl.col("date") == day).to_dicts()
    if not rows and results.get_column("grain")[0] != "day":
        # At week/month grain the selected day lies inside a period.
        periods = results.filter(pl.col("date") <= day).get_column("date")
        if len(periods):
            rows = results.filter(pl.col("date") == periods.max()).to_dicts()
    return [answer.sentence(row) for row in rows]


def table_numbers(results: pl.DataFrame) -> pl.DataFrame:
    """Exactly the numbers behind the chart, in the answer's column order (for table and CSV:
    the same columns as ``installpulse series --format csv``)."""
    if not results.height:
        return results
    return results.select([c for c in RESULT_COLUMNS if c in results.columns])


def events_for_apps(events: pl.DataFrame, apps: Sequence[str]) -> pl.DataFrame:
    """Events that concern the chosen apps: all-app events and those naming one of them."""
    if not events.height:
        return events
    chosen = set(apps)
    keep = [not row or bool(chosen & set(row)) for row in events.get_column("apps").to_list()]
    return events.filter(pl.Series(keep, dtype=pl.Boolean))


def source_line(sources: Sequence[str]) -> str:
    """ "Source: demo; illustrative demo data" - the synthetic demo always says so."""
    names = sorted({s for s in sources if s})
    text = "Source: " + (", ".join(names) if names else "installpulse")
    if DEMO_SOURCE in names:
        text += "; illustrative demo data"
    return text


def chart_subtitle(results: pl.DataFrame, request: SeriesRequest) -> str:
    """Metric, countries, platforms and the baseline method, in words (user text: plain)."""
    metric = ", ".join(request.metrics)
    covers = sorted(set(results.get_column("country").to_list())) if results.height else []
    countries = ", ".join(request.countries) if request.countries else "all countries"
    if not request.countries and covers:
        countries += " (" + "; ".join(covers) + ")"
    platforms = (
        ", ".join(formatting.fmt_platforms(p) for p in request.platforms)
        if request.platforms
        else "all platforms"
    )
    method = request.method.label_for(request.grain)
    grain = presets.GRAIN_WORDS[request.grain]
    return f"{grain.capitalize()} {metric} · {countries} · {platforms} · baseline {method}"


# ----- Overview ---------------------------------------------------------------------------


def overview_window(last_date: date, days: int, method: str = "mean:28") -> tuple[date, date, date]:
    """(fetch start, range start, range end) for the movers of the last `days` days."""
    start = last_date - timedelta(days=days - 1)
    lookback = max(baselines.lookback_days(method), spikes.TRAILING_SPAN) + 1
    return start - timedelta(days=lookback), start, last_date


def _ids_and_names(
    values: pl.DataFrame, names: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(series_id/date/value, series_id -> names, the key to score on).

    With `names` (from `reads.recent_values`), `values` is keyed by the integer series_id:
    scoring on it is several times cheaper than grouping and lagging by five names at tens of
    thousands of series, and names are put back only on the rows the page shows. Without,
    `values` carries the five names itself (`reads.recent_all`, `semantic.totals.load`)."""
    if names is not None:
        return values.select("series_id", "date", "value"), names, ["series_id"]
    if "series_id" in values.columns:
        found = values.select("series_id", *SERIES_KEYS).unique("series_id")
        return values.select("series_id", "date", "value"), found, ["series_id"]
    return values.select(*SERIES_KEYS, "date", "value"), pl.DataFrame(), list(SERIES_KEYS)


def _with_names(frame: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    if not names.height or "series_id" not in frame.columns:
        return frame
    wanted = ["series_id", *[c for c in SERIES_KEYS if c in names.columns]]
    return frame.join(names.select(wanted), on="series_id", how="left").drop("series_id")


def overview_movers(
    values: pl.DataFrame,
    start: date,
    end: date,
    method: str = "mean:28",
    limit: int = 20,
    names: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Top movers of the range, each with a sparkline of its last 42 days."""
    if not values.height:
        return pl.DataFrame()
    frame, names, keys = _ids_and_names(values, names)
    # Score in full only the days that can reach the spike threshold: when at least `limit`
    # series reach it, the `limit` largest |scores| are all among them, so the table is the
    # same (at 40,000 series: 0.7 -> 0.3 s, a third of the memory). Otherwise every series
    # is scored, so the table still fills up with the largest sub-threshold scores.
    flagged = _flagged(frame, keys, start)
    enough = flagged.select(keys).unique().height >= limit
    movers = spikes.top_movers(
        frame,
        start,
        end,
        method=method,
        limit=limit,
        keys=keys,
        window=SPIKE_WINDOW,
        scored=flagged if enough else None,
    )
    movers = movers.filter(pl.col("score").is_not_null())
    lines = (
        frame.join(movers.select(keys), on=keys, how="semi", nulls_equal=True)
        .filter(pl.col("date") >= end - timedelta(days=41))
        .sort("date")
        .group_by(keys, maintain_order=True)
        .agg(trend=pl.col("value"))
    )
    out = movers.join(lines, on=keys, how="left", nulls_equal=True)
    return _with_names(out, names).sort("rank")


# Rows (series x days, look-back included) the Overview's episode scan may score. At 40,000
# series the full 90 days (4.6M rows) took 30 s and 3 GB with the general scorer and still
# 5.0 s and 1.0 GB with the recent-days scorer (spikes.detect with `since`); 2M rows (21 days
# at 40,000 series) take 1.3 s and 0.6 GB peak in a bare process.
EPISODE_ROW_BUDGET = 2_000_000


def episode_days(n_series: int, wanted: int = 90, budget: int = EPISODE_ROW_BUDGET) -> int:
    """How many recent days the episode scan covers: `wanted`, fewer for very many series
    (never fewer than 7), so the rows scored stay within `budget`."""
    if n_series <= 0:
        return wanted
    fits = budget // n_series - (spikes.TRAILING_SPAN + 1)
    return max(7, min(wanted, fits))


# Rows per part when the Overview scores every series (see _series_batches).
GENERAL_BATCH_ROWS = 40_000
RECENT_BATCH_ROWS = 500_000


def _series_batches(frame: pl.DataFrame, keys: list[str], since: date) -> list[pl.DataFrame]:
    """`frame` in parts of whole series, so scoring every series keeps a bounded working set.

    Scores are per series, so the parts give the same rows. The general scorer (more than
    spikes.RECENT_MAX_DAYS days to score: the S Overview's 90 days) builds windowed lists over
    every row: parts of 40,000 rows (at S: +80 MB peak instead of +350 MB). The recent-days
    scorer pays a little per part: parts of 500,000 rows (at L, 21 days of 40,000 series in 4
    parts: peak 532 -> 396 MB in a bare process, 1.50 -> 1.62 s)."""
    last = frame.get_column("date").max()
    span = (last - since).days + 1 if last is not None else 0  # type: ignore[operator]
    rows = GENERAL_BATCH_ROWS if span > spikes.RECENT_MAX_DAYS else RECENT_BATCH_ROWS
    if frame.height <= rows:
        return [frame]
    sizes = frame.group_by(keys).len().sort(keys)
    batch = sizes.select(*keys, __batch=(pl.col("len").cum_sum() - pl.col("len")) // rows)
    tagged = frame.join(batch, on=keys, how="left", nulls_equal=True)
    return [part.drop("__batch") for part in tagged.partition_by("__batch", maintain_order=True)]


def _flagged(frame: pl.DataFrame, keys: list[str], since: date) -> pl.DataFrame:
    """Days from `since` on whose |score| reaches the spike threshold, scored in parts."""
    return pl.concat(
        [
            spikes.detect(
                part, threshold=SPIKE_THRESHOLD, keys=keys, window=SPIKE_WINDOW, since=since
            )
            for part in _series_batches(frame, keys, since)
        ],
        how="vertical_relaxed",
    )


def overview_episodes(
    values: pl.DataFrame, since: date, limit: int = 20, names: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The latest spike episodes (runs of flagged days) within the days from `since` on.

    Only those days are scored, and only where the threshold can be reached
    (`spikes.detect` with `since`; earlier rows of `values` are the scores' history): the
    same flagged days as scoring everything, at a fraction of the time and memory.
    """
    if not values.height:
        return pl.DataFrame()
    frame, names, keys = _ids_and_names(values, names)
    found = spikes.episodes(_flagged(frame, keys, since), threshold=SPIKE_THRESHOLD, keys=keys)
    found = found.filter(pl.col("end_date") >= since)
    if not found.height:
        return _with_names(found, names)
    # Sparkline: the series from 28 days before the episode to 7 days after its end.
    around = (
        found.select(*keys, "start_date", "end_date")
        .join(frame, on=keys, how="left", nulls_equal=True)
        .filter(
            pl.col("date").is_between(
                pl.col("start_date") - pl.duration(days=28),
                pl.col("end_date") + pl.duration(days=7),
            )
        )
        .sort("date")
        .group_by([*keys, "start_date"], maintain_order=True)
        .agg(trend=pl.col("value"))
    )
    out = found.join(around, on=[*keys, "start_date"], how="left", nulls_equal=True)
    out = out.sort(["end_date", pl.col("peak_score").abs()], descending=[True, True]).head(limit)
    return _with_names(out, names)


def explorer_params_for(
    row: Mapping[str, object],
    days_before: int = 30,
    days_after: int = 14,
    baseline: str = "mean:28",
) -> dict[str, object]:
    """Query parameters opening the explorer on one series around one day."""
    day = row.get("peak_date") or row.get("date")
    assert isinstance(day, date)
    state = ExploreState(
        apps=[str(row["app"])],
        metrics=[str(row["metric"])],
        countries=[str(row["country"])] if row.get("country") else [],
        platforms=[str(row["platform"])] if row.get("platform") else [],
        # the mover's own source first, so Explore shows that series even where another
        # source (a store's figure beside an estimate) covers the same days
        prefer=[str(row["source"])] if row.get("source") else [],
        start=day - timedelta(days=days_before),
        end=day + timedelta(days=days_after),
        baseline=baseline,
        day=day,
    )
    return state.to_params()


# ----- Data: coverage --------------------------------------------------------------------


def _month_days_in(month: date, start: date, end: date) -> int:
    """Days of `month` (its first day) that fall within [start, end]."""
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    first, last = max(month, start), min(nxt - timedelta(days=1), end)
    return max(0, (last - first).days + 1)


def coverage_grid(cover: pl.DataFrame, start: date, end: date) -> dict[str, list]:
    """The coverage heatmap's cells from `reads.coverage` rows (app, metric, country, month,
    days): one row per app · metric · country, one column per month, the cell the share of
    that month's days in [start, end] that have a value. A share, not a count: a complete
    February (28 of 28) is as dark as a complete March (31 of 31), and a month the range cuts
    is judged on its days in the range. Missing cells (no value at all) are None."""
    monthly = cover.with_columns(
        row=pl.concat_str("app", "metric", "country", separator=" · "),
    ).sort("row", "month")
    rows = monthly.get_column("row").unique(maintain_order=True).to_list()
    months = sorted(monthly.get_column("month").unique().to_list())
    possible = [_month_days_in(m, start, end) for m in months]
    found = {(r["row"], r["month"]): r["days"] for r in monthly.iter_rows(named=True)}
    days = [[found.get((row, m)) for m in months] for row in rows]
    share = [
        [None if d is None or not n else d / n for d, n in zip(line, possible, strict=True)]
        for line in days
    ]
    return {"rows": rows, "months": months, "possible": possible, "days": days, "share": share}
