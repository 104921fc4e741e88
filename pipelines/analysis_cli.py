"""The analytics commands of the `installpulse` CLI: `series`, `spikes`, `study`, `impact`.

Why a module of its own: the CLI core (pipelines/cli.py) stores and lists data; these commands
read a window from DuckDB (pipelines.reads: only the range shown plus the method's look-back)
and hand it to the pure polars analytics, so the CLI publishes exactly the numbers and the
sentences the pages and charts do. Each command registers itself in
``pipelines.cli.EXTRA_COMMANDS``; ``cli.main()`` imports this module.

Output formats (``--format``): ``table`` formats every number the one way the app does
(analytics.formatting) and ends with the published sentence; ``csv`` and ``json`` give the raw
values (a change is a fraction: 2.95 = +295%), ISO dates, and nothing for a missing value
(empty CSV cell, JSON null). Errors are sentences on stderr with exit code 1
(pipelines.errors.UsageError); bad arguments exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl

from analytics import baselines, formatting, spikes
from pipelines import cli, csvout, reads, store
from pipelines.errors import UsageError
from semantic import answer as semantic_answer
from semantic import presets
from semantic.request import ESTIMATES, FIRST_PARTY, SeriesRequest

KEYS = list(semantic_answer.KEYS)
TYPICAL_WINDOW = presets.TYPICAL_WINDOW
SPIKE_WINDOW = presets.SPIKE_WINDOW
SPIKE_DAYS = 7


# ----------------------------------------------------------------------------- arguments
def _method(text: str) -> baselines.Method:
    try:
        return baselines.parse_method(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _at_least(minimum: int):
    """An argparse type: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def _sources(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one source, e.g. google_play,sensortower")
    return names


def _scope_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--country", metavar="CC", help="one country (default: all, summed)")
    p.add_argument("--platform", metavar="PLATFORM", help="ios or android (default: all, summed)")
    p.add_argument(
        "--source",
        metavar="S",
        help="only this source (default: every source, one chosen per platform, country and "
        "day by --prefer)",
    )
    p.add_argument(
        "--prefer",
        metavar="S[,S...]",
        type=_sources,
        help="sources that win where sources overlap, in order (default: "
        f"{','.join(FIRST_PARTY)}; estimates ({','.join(ESTIMATES)}) always come last "
        "unless named here); sources are never summed",
    )


# ----------------------------------------------------------------------------- shared steps
def _fail(text: str) -> UsageError:
    return UsageError(text)


def _app(db: Any, text: str) -> str:
    name = reads.resolve_app(db, text)
    if name is None:
        raise _fail(
            f"Unknown app {text!r}: it is neither an app name nor a store identifier in the "
            "database; see `installpulse apps`."
        )
    return name


def _kinds(db: Any, metrics: Sequence[str]) -> dict[str, str]:
    kinds = reads.metric_kinds(db, metrics)
    unknown = [m for m in metrics if m not in kinds]
    if unknown:
        raise _fail(f"Unknown metric(s): {', '.join(unknown)}; see `installpulse metrics`.")
    return kinds


def _analytics(call: Callable[[], Any]) -> Any:
    """Run an analytics call; its ValueErrors (bad method/grain pairs...) become usage errors."""
    try:
        return call()
    except ValueError as exc:
        text = str(exc)
        text = text[:1].upper() + text[1:]
        raise _fail(text if text.endswith(".") else text + ".") from None


def _scope_text(country: str | None, platform: str | None) -> str:
    return formatting.fmt_scope(country, platform)


# ----------------------------------------------------------------------------- output
def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False))


def _display(
    frame: pl.DataFrame,
    *,
    month: bool = False,
    unsigned: Sequence[str] = (),
    decimals: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Every cell as the app shows it (analytics.formatting), for the table format."""
    decimals = decimals or {}

    def cell(name: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return ""
        if name in unsigned:
            return formatting.fmt_pct(value, signed=False)
        if name in decimals:
            return formatting.fmt_number(value, decimals[name])
        if month and isinstance(value, date):
            return formatting.fmt_month(value)
        return formatting.fmt_column(name, value)

    return pl.DataFrame(
        {name: [cell(name, v) for v in frame.get_column(name).to_list()] for name in frame.columns},
        schema=dict.fromkeys(frame.columns, pl.String),
    )


def _print_table(frame: pl.DataFrame) -> None:
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=70,
        tbl_width_chars=200,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
    ):
        print(frame)


def _emit(frame: pl.DataFrame, fmt: str) -> None:
    if fmt == "json":
        _print_json(_json_rows(frame))
    else:
        csvout.write(frame, sys.stdout)


# ----------------------------------------------------------------------------- series
# The answer's columns, as the Explore page's CSV download has them (typical_low/typical_high,
# the typical range's band, included): one request gives one file on both surfaces.
SERIES_COLUMNS = semantic_answer.RESULT_COLUMNS


def series_frame(
    db: Any,
    app: str,
    metric: str,
    *,
    country: str | None = None,
    platform: str | None = None,
    source: str | None = None,
    prefer: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    method: str | baselines.Method = presets.SERIES_METHOD,
    grain: str = "day",
) -> pl.DataFrame:
    """The rows `installpulse series` prints (raw values): :func:`semantic.answer.series_answer`
    - the same answer the Explore page lays out - in the CLI's columns.

    Without --country/--platform the countries and platforms are totalled by the rules of
    :mod:`semantic.totals` (worldwide rows stand for their countries; overlapping sources are
    chosen by precedence, never summed). ``typical_change`` is the day-over-day yardstick
    over the 30 days before each day (NULL at week/month grain).
    """
    name = _app(db, app)
    _kinds(db, [metric])
    if end is None:
        end = reads.last_date(db, [metric], name)
    out = semantic_answer.series_answer(
        db,
        name,
        metric,
        countries=country,
        platforms=platform,
        sources=source,
        prefer=prefer,
        start=start,
        end=end,
        method=method,
        grain=grain,
        last_date=end,
    )
    return out.results.select(SERIES_COLUMNS)


def series_sentence(row: dict[str, Any]) -> str:
    """The published sentence for one row of :func:`series_frame` (the pages print the same)."""
    return semantic_answer.sentence(row)


def cmd_series(args: argparse.Namespace) -> int:
    out = series_frame(
        args.db,
        args.app,
        args.metric,
        country=args.country,
        platform=args.platform,
        source=args.source,
        prefer=args.prefer,
        start=args.start,
        end=args.end,
        method=args.baseline,
        grain=args.grain,
    )
    if args.format != "table":
        _emit(out, args.format)
        return 0
    first = out.row(0, named=True)
    scope = _scope_text(first["country"], first["platform"])
    print(
        f"{first['app']} ({scope}) {formatting.fmt_metric(first['metric'])}, source "
        f"{first['source']}, by {args.grain}: change {first['method_label']} "
        f"(method {first['method']})"
    )
    columns = ["date", "value", "baseline", "change", "multiple", "reason"]
    if args.grain == "day":
        columns.insert(5, "typical_change")
    else:
        columns.insert(5, "is_partial")
    _print_table(
        _display(out.select(columns), month=args.grain == "month", unsigned=("typical_change",))
    )
    print(series_sentence(out.row(-1, named=True)))
    return 0


def register_series(
    sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "series",
        parents=[common, out],
        help="one series with its baseline, change and multiple per day, week or month",
        description="One series per period: value, baseline, change (%%) and multiple, with "
        "the method named. Without --country/--platform the countries/platforms are summed "
        "(event metrics only).",
    )
    p.add_argument(
        "--app", required=True, metavar="NAME", help="app name or any of its store identifiers"
    )
    p.add_argument("--metric", required=True, metavar="NAME")
    _scope_options(p)
    p.add_argument(
        "--start",
        type=cli._date,
        metavar="DATE",
        help="first period shown (default: 30 days, 12 weeks or 12 months back)",
    )
    p.add_argument(
        "--end",
        type=cli._date,
        metavar="DATE",
        help="last day shown (default: the series' last observed day)",
    )
    p.add_argument(
        "--baseline",
        type=_method,
        default="previous-day",
        metavar="METHOD",
        help=f"baseline method: {baselines.VALID_FORMS} (default previous-day)",
    )
    p.add_argument("--grain", choices=baselines.GRAINS, default="day")
    p.set_defaults(func=cmd_series)


# ----------------------------------------------------------------------------- spikes
SPIKE_COLUMNS = [
    "rank",
    *KEYS,
    "date",
    "value",
    "score",
    "direction",
    "median",
    "baseline",
    "change",
    "multiple",
    "method",
    "method_label",
    "reason",
    "start_date",
    "end_date",
    "n_days",
    "is_weekday_aware",
]


def spikes_frame(
    db: Any,
    *,
    start: date | None = None,
    end: date | None = None,
    threshold: float = 3.5,
    direction: str = "both",
    limit: int = 50,
    metrics: Sequence[str] | None = None,
    method: str | baselines.Method = "mean:28",
) -> tuple[pl.DataFrame, date, date]:
    """Top movers over every series in the database for ``start..end``, with their episode.

    One DuckDB read of every series over the range plus the look-back, keyed by id
    (``reads.recent_values``), then one vectorised polars pass over all series: robust scores
    of the days that can reach the threshold, top movers, episodes.
    Default range: the last 7 days of data. Returns (rows, start, end).
    """
    m = baselines.parse_method(method)
    metric_list = list(dict.fromkeys(metrics or [])) or None
    if metric_list:
        _kinds(db, metric_list)
    # (a day's score reads its TRAILING_SPAN previous days: the same number as stored and shown)
    lookback = max(spikes.TRAILING_SPAN, _analytics(lambda: baselines.lookback_days(m, "day")))
    if end is None:
        end = reads.last_date(db, metric_list)
        if end is None:
            raise _fail(
                "The database holds no observations"
                + (f" of {', '.join(metric_list)}." if metric_list else ".")
            )
    if start is None:
        start = end - timedelta(days=SPIKE_DAYS - 1)
    if start > end:
        raise _fail(f"--start {start} is after --end {end}.")
    values, names = reads.recent_values(db, start, end, metric_list, lookback_days=lookback)
    # Nothing else is read: close the lingering connection now, which frees DuckDB's cache of
    # the table it scanned (140 MB at 40,000 series) before the scoring needs memory.
    store.release_all()
    if values.height == 0:
        return pl.DataFrame(schema=_spike_schema()), start, end
    # Score on the integer series key (grouping and lagging by five names cost several times
    # more at 40,000 series) and put the names back on the ranked rows only. Only the days
    # that can reach the threshold are scored in full (spikes.detect with since=): the movers
    # and their episodes are made of those days alone, so they are the same.
    ids = ["series_id"]
    flagged = spikes.detect(
        values, threshold, direction, keys=ids, window=SPIKE_WINDOW, since=start
    )
    movers = spikes.top_movers(
        values,
        start,
        end,
        method=m.name,
        limit=limit,
        keys=ids,
        direction=direction,
        threshold=threshold,
        scored=flagged,
    )
    runs = spikes.episodes(flagged, threshold, direction, keys=ids).select(
        *ids, "direction", "start_date", "end_date", "n_days"
    )
    out = (
        movers.join(runs, on=[*ids, "direction"], how="left", nulls_equal=True)
        .filter(
            pl.col("start_date").is_null()
            | pl.col("date").is_between(pl.col("start_date"), pl.col("end_date"))
        )
        .join(names, on="series_id", how="left")
        .sort("rank")
    )
    return out.select(SPIKE_COLUMNS), start, end


def _spike_schema() -> dict[str, pl.DataType]:
    schema: dict[str, Any] = dict.fromkeys(SPIKE_COLUMNS, pl.String)
    schema.update(
        rank=pl.Int32,
        date=pl.Date,
        start_date=pl.Date,
        end_date=pl.Date,
        n_days=pl.Int32,
        is_weekday_aware=pl.Boolean,
    )
    for name in ("value", "score", "median", "baseline", "change", "multiple"):
        schema[name] = pl.Float64
    return schema


def cmd_spikes(args: argparse.Namespace) -> int:
    out, start, end = spikes_frame(
        args.db,
        start=args.start,
        end=args.end,
        threshold=args.threshold,
        direction=args.direction,
        limit=args.limit,
        metrics=args.metric,
        method=args.baseline,
    )
    if args.format != "table":
        _emit(out, args.format)
        return 0
    arrow = {"both": "up or down", "up": "up", "down": "down"}[args.direction]
    print(
        f"Top movers {formatting.fmt_date(start)} .. {formatting.fmt_date(end)}: robust score "
        f"|score| >= {args.threshold:g} ({arrow}) against the previous {SPIKE_WINDOW} days; "
        f"change {args.baseline.label}."
    )
    if out.height == 0:
        print("No series moved that much.")
        return 0
    table = out.select(
        "rank",
        "app",
        "metric",
        "country",
        "platform",
        "source",
        "date",
        "value",
        "score",
        "change",
        "multiple",
        "start_date",
        "end_date",
        "n_days",
    )
    _print_table(_display(table))
    return 0


def register_spikes(
    sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "spikes",
        parents=[common, out],
        help="top movers over every series in the database (default: the last 7 days)",
        description="Ranks every series (app x metric x source x country x platform) by its "
        "most extreme robust spike score in the range; only the range plus the 34 days each "
        "score reads is read.",
    )
    p.add_argument(
        "--start", type=cli._date, metavar="DATE", help="first day (default: 6 days before --end)"
    )
    p.add_argument(
        "--end", type=cli._date, metavar="DATE", help="last day (default: the last day with data)"
    )
    p.add_argument(
        "--threshold", type=_threshold, default=3.5, help="minimum |robust score| (default 3.5)"
    )
    p.add_argument("--direction", choices=spikes.DIRECTIONS, default="both")
    p.add_argument("--limit", type=_at_least(1), default=50, help="at most this many rows")
    p.add_argument(
        "--metric",
        nargs="+",
        action="extend",
        metavar="M",
        help="only these metrics (default: all)",
    )
    p.add_argument(
        "--baseline",
        type=_method,
        default="mean:28",
        metavar="METHOD",
        help="method of the change shown next to the score (default mean:28)",
    )
    p.set_defaults(func=cmd_spikes)


# ----------------------------------------------------------------------------- study
def study_frames(
    db: Any,
    event_date: date,
    apps: Sequence[str],
    metric: str,
    *,
    country: str | None = None,
    platform: str | None = None,
    source: str | None = None,
    prefer: Sequence[str] | None = None,
    pre: int = presets.STUDY_DAYS,
    post: int = presets.STUDY_DAYS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(days, summary) of :func:`semantic.answer.study` - the Event study page's answer.

    Reads ``event_date - max(pre, 14) .. event_date + post`` (the reference is days -14..-1).
    """
    request = SeriesRequest.build(
        apps,
        [metric],
        event_date,
        event_date,
        countries=country,
        platforms=platform,
        sources=source,
        prefer=prefer,
    )
    return semantic_answer.study(db, request, event_date, pre=pre, post=post, require_all=True)


def study_sentence(row: dict[str, Any]) -> str:
    return semantic_answer.study_sentence(row)


def cmd_study(args: argparse.Namespace) -> int:
    days, summary = study_frames(
        args.db,
        args.date,
        args.app,
        args.metric,
        country=args.country,
        platform=args.platform,
        source=args.source,
        prefer=args.prefer,
        pre=args.pre,
        post=args.post,
    )
    if args.format == "json":
        data: Any = (
            _json_rows(summary)
            if args.summary
            else {"summary": _json_rows(summary), "days": _json_rows(days)}
        )
        _print_json(data)
        return 0
    if args.format == "csv":
        _emit(summary if args.summary else days, "csv")
        return 0
    label = days.get_column("reference_label").first()
    print(f"Event study around {formatting.fmt_date(args.date)} (day 0): change {label}.")
    if not args.summary:
        _print_table(
            _display(
                days.select(
                    "app",
                    "country",
                    "platform",
                    "source",
                    "offset",
                    "date",
                    "value",
                    "change",
                    "multiple",
                    "reason",
                )
            )
        )
    _print_table(
        _display(
            summary.select(
                "app",
                "country",
                "platform",
                "source",
                "reference",
                "typical_change",
                "peak_date",
                "peak_value",
                "peak_change",
                "peak_multiple",
                "back_date",
                "days_after_peak",
            ),
            unsigned=("typical_change",),
        )
    )
    for row in summary.iter_rows(named=True):
        print(study_sentence(row))
    return 0


def register_study(sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "study",
        parents=[common, out],
        help="event study: several apps lined up on the day of an event",
        description="Each app's days -PRE..+POST around the event, compared with the mean of "
        "its days -14..-1; the summary gives the peak and when it was back within its typical "
        'range. JSON: {"summary": [...], "days": [...]}; CSV: the days (or --summary).',
    )
    p.add_argument(
        "--date", type=cli._date, required=True, metavar="DATE", help="the event day (day 0)"
    )
    p.add_argument(
        "--app", action="append", required=True, metavar="NAME", help="an app (repeat for several)"
    )
    p.add_argument("--metric", required=True, metavar="M")
    _scope_options(p)
    p.add_argument("--pre", type=_at_least(0), default=14, help="days shown before (default 14)")
    p.add_argument("--post", type=_at_least(0), default=14, help="days shown after (default 14)")
    p.add_argument("--summary", action="store_true", help="only the per-app summary")
    p.set_defaults(func=cmd_study)


# ----------------------------------------------------------------------------- check
CHECK_COLUMNS = ["slice", "country", "platform", "method_label", "value", "baseline", "change",
                 "multiple", "claimed", "reproduces", "reason"]  # fmt: skip


def cmd_check(args: argparse.Namespace) -> int:
    """`installpulse check`: a claimed figure against every baseline preset and slice
    (:func:`semantic.claims.check`); table, or the raw rows as CSV, or everything as JSON."""
    from semantic import claims

    name = _app(args.db, args.app)
    _kinds(args.db, [args.metric])
    out = claims.check(
        args.db,
        name,
        args.metric,
        args.date,
        args.claim,
        words=args.words,
        countries=args.country,
        platforms=args.platform,
        sources=args.source,
        prefer=args.prefer,
    )
    if args.format == "json":
        _print_json(out.as_json())
        return 0
    if args.format == "csv":
        _emit(out.table, "csv")
        return 0
    claim = out.claim
    shown = out.table.with_columns(
        claimed=pl.Series(
            [
                claim.at_precision(c, m) if c is not None else None
                for c, m in zip(out.table["change"], out.table["multiple"], strict=True)
            ],
            dtype=pl.String,
        ),
        slice=pl.Series([formatting.fmt_platforms(s) for s in out.table["slice"]], dtype=pl.String),
    ).select(CHECK_COLUMNS)
    meaning = ", or strictly ".join(r.label for r in claim.readings)
    meaning = "" if meaning == claim.canonical else f" ({meaning})"
    print(
        f"Claim {claim.canonical}{meaning}: {out.app} {formatting.fmt_metric(out.metric)} on "
        f"{formatting.fmt_date(out.day)} against every baseline preset and slice; 'claimed' is "
        "each result at the claim's precision."
    )
    _print_table(_display(shown))
    print(out.paragraph)
    for note in out.notes:
        print(f"Not checked: {note}")
    return 0


def register_check(sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check",
        parents=[common, out],
        help="check a published figure (+295%%, 3.95x, nearly four times) against every "
        "baseline and slice",
        description="Which baseline presets and slices (as claimed, all countries, each "
        "platform) reproduce a claimed change or multiple at its stated precision, what the "
        "others give, and whether the words fit the number. Ends with a paragraph to paste.",
    )
    p.add_argument(
        "--app", required=True, metavar="NAME", help="app name or any of its store identifiers"
    )
    p.add_argument("--metric", required=True, metavar="NAME")
    p.add_argument("--date", type=cli._date, required=True, metavar="DATE", help="the day claimed")
    p.add_argument(
        "--claim",
        required=True,
        metavar="FIGURE",
        help="the figure: +295%%, -12%%, 'up 295%%', 3.95x, 'nearly four times', 'doubled'",
    )
    p.add_argument(
        "--words", metavar="TEXT", help="the words the article used, e.g. 'nearly three times more'"
    )
    _scope_options(p)
    p.set_defaults(func=cmd_check)


if register_check not in cli.EXTRA_COMMANDS:
    cli.EXTRA_COMMANDS.append(register_check)


# ----------------------------------------------------------------------------- impact
IMPACT_DAY_COLUMNS = [
    "date", "offset", "actual", "expected", "expected_low", "expected_high", "excess",
    "cum_excess", "cum_low", "cum_high",
]  # fmt: skip


def cmd_impact(args: argparse.Namespace) -> int:
    """The excess over what the pre-period predicted (semantic.impact, the page's answer)."""
    from semantic import impact as semantic_impact

    request = semantic_impact.ImpactRequest.build(
        args.app,
        args.metric,
        args.date,
        controls=args.control,
        countries=args.country,
        platforms=args.platform,
        sources=args.source,
        prefer=args.prefer,
        pre=args.pre,
        post=args.post,
        method=args.method,
    )
    result = semantic_impact.impact(args.db, request)
    if args.image:
        _impact_image(result, args.image)
    if args.format == "json":
        _print_json(
            {
                "sentence": result.sentence,
                "method": result.method_text,
                "summary": _json_rows(result.summary)[0],
                "controls": _json_rows(result.controls),
                "days": _json_rows(result.days),
            }
        )
        return 0
    if args.format == "csv":
        _emit(result.days, "csv")
        return 0
    post = result.days.filter(pl.col("period") == "post").select(IMPACT_DAY_COLUMNS)
    whole = {c: 0 for c in IMPACT_DAY_COLUMNS[2:]}
    print(result.sentence)
    _print_table(_display(post, decimals=whole))
    if result.controls.height:
        _print_table(_display(result.controls, decimals={"actual": 0, "expected": 0, "weight": 2}))
    print(result.method_text)
    return 0


def _impact_image(result: Any, path: str) -> None:
    """The impact chart as a publication image (PNG or SVG by the file's extension), the
    Event study page's download, written to ``path``; the path is reported on stderr."""
    from pathlib import Path

    from charts import export, publish
    from charts.impact import impact_figure
    from semantic import views

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise _fail(f"--image {path}: name a .png or .svg file.")
    impact = result.result
    fig = impact_figure(
        result.days,
        app=result.request.app,
        label=impact.label,
        event_date=impact.event_date,
        level=impact.level,
    )
    pub = publish.publication_layout(
        fig, source_line=views.source_line(list(result.sources)), export_date=date.today()
    )
    try:
        data = export.export_image(pub, fmt=fmt)
    except (export.ExportUnavailable, export.ExportFailed) as exc:
        raise _fail(str(exc)) from None
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise _fail(f"--image {path}: cannot write the file ({exc.strerror}).") from None
    print(f"Chart written to {target} ({len(data):,} bytes).", file=sys.stderr)


def register_impact(
    sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "impact",
        parents=[common, out],
        help="what an event did: the excess over what the days before predicted, with an interval",
        description="The cumulative excess of one app's metric from DATE over POST days, over "
        "what the PRE days before predicted (level, trend, weekly pattern), optionally adjusted "
        "by control apps, with a 95%% interval. JSON: {sentence, method, summary, controls, "
        "days}; CSV: the days (pre and post).",
    )
    p.add_argument(
        "--date", type=cli._date, required=True, metavar="DATE", help="first day of the effect"
    )
    p.add_argument("--app", required=True, metavar="NAME", help="the app studied")
    p.add_argument("--metric", required=True, metavar="M")
    _scope_options(p)
    p.add_argument(
        "--control",
        action="append",
        default=[],
        metavar="NAME",
        help="an app the event did not touch (repeat for several)",
    )
    p.add_argument(
        "--method",
        choices=("did", "synthetic", "none"),
        help="how the controls adjust the expectation (default: did with controls, else none)",
    )
    p.add_argument("--pre", type=_at_least(1), default=28, help="days before (default 28)")
    p.add_argument("--post", type=_at_least(1), default=14, help="days from DATE (default 14)")
    p.add_argument(
        "--image",
        metavar="FILE.png|FILE.svg",
        help="also write the chart (daily and cumulative excess) as a publication image",
    )
    p.set_defaults(func=cmd_impact)


for _register in (register_series, register_spikes, register_study, register_impact):
    if _register not in cli.EXTRA_COMMANDS:
        cli.EXTRA_COMMANDS.append(_register)
