"""Check a published figure: against what was "+295%" measured, and do its words fit?

Why: a figure in an article names neither its baseline nor its slice ("ChatGPT US uninstalls
+295%": US only or worldwide? both stores? vs the previous day or vs an average day?), and its
words drift ("nearly three times more"). :func:`check` computes the day against every baseline
preset (:data:`semantic.presets.BASELINE_PRESETS`) in the slices that matter - the slice as
claimed, all countries, each platform - through the one core (:func:`semantic.totals.load`
and :func:`semantic.answer.numbers`, the functions behind Explore and ``installpulse series``),
says which reproduce the claim at its stated precision (:mod:`analytics.claims`, the house
rounding rule), what the others give, and whether the words match the number. The result is a
table (:data:`TABLE_COLUMNS`) and a paragraph an editor can paste.

Each slice is read once, with the longest look-back the presets need (a year for yoy), and
every method is computed on that read: a day's total does not depend on the range read
(README, "How totals work"), so the numbers are those Explore shows for the same request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from analytics import claims, formatting
from pipelines.errors import UsageError
from semantic import answer, presets, totals
from semantic.request import SeriesRequest
from semantic.views import source_line

#: The methods a claim is checked against, in the pickers' order.
METHODS: tuple[str, ...] = presets.BASELINE_PRESETS
#: The columns of :attr:`Check.table` (the CLI's CSV/JSON rows and the page's CSV).
TABLE_COLUMNS = [
    "slice", "app", "metric", "source", "country", "platform", "date", "method",
    "method_label", "value", "baseline", "change", "multiple", "reproduces", "reading",
    "baseline_obs", "reason",
]  # fmt: skip
#: The slice as claimed is always first; the others follow.
CLAIMED = "as claimed"
ALL_COUNTRIES = "all countries"


@dataclass(frozen=True)
class Check:
    """The answer to one claim: ``table`` (one row per slice and method), the ``paragraph``,
    the parsed ``claim``, the ``words`` verdict (when words were given), the ``sources``
    behind the numbers and ``notes`` on slices that could not be computed."""

    app: str
    metric: str
    day: date
    claim: claims.Claim
    words: claims.WordsCheck | None
    table: pl.DataFrame
    paragraph: str
    sources: list[str] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def claimed(self) -> pl.DataFrame:
        """The rows of the slice as claimed (the chart's bars)."""
        return self.table.filter(pl.col("slice") == CLAIMED)

    @property
    def reproduced(self) -> pl.DataFrame:
        return self.table.filter(pl.col("reproduces"))

    def as_json(self) -> dict[str, Any]:
        """The whole check as plain data (raw numbers: a change is a fraction)."""
        rows = [
            {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}
            for row in self.table.iter_rows(named=True)
        ]
        words = None
        if self.words is not None:
            words = {
                "words": self.words.words,
                "fits": self.words.fits_any,
                "readings": [
                    {"reading": r.label, "strict": r.strict, "fits": f}
                    for r, f in zip(self.words.readings, self.words.fits, strict=True)
                ],
                "verdict": self.words.verdict,
            }
        return {
            "app": self.app,
            "metric": self.metric,
            "date": self.day.isoformat(),
            "claim": {
                "text": self.claim.text,
                "kind": self.claim.kind,
                "figure": self.claim.canonical,
                "value": None if self.claim.value is None else float(self.claim.value),
                "places": self.claim.places,
                "readings": [{"reading": r.label, "strict": r.strict} for r in self.claim.readings],
                "notes": list(self.claim.notes),
            },
            "words": words,
            "paragraph": self.paragraph,
            "rows": rows,
            "notes": list(self.notes),
        }


def _request(
    app: str,
    metric: str,
    day: date,
    countries: Sequence[str],
    platforms: Sequence[str],
    method: str,
    prefer: object,
    split_platforms: bool | None = None,
    sources: object = None,
) -> SeriesRequest:
    try:
        return SeriesRequest.build(
            [app],
            [metric],
            day,
            day,
            countries=list(countries),
            platforms=list(platforms),
            method=method,
            prefer=prefer,
            split_platforms=split_platforms,
            sources=sources,
        )
    except ValueError as exc:
        raise UsageError(str(exc)[:1].upper() + str(exc)[1:]) from None


def _slice_rows(
    db: Path | str | None,
    app: str,
    metric: str,
    day: date,
    countries: Sequence[str],
    platforms: Sequence[str],
    prefer: object,
    *,
    split_platforms: bool | None = None,
    sources: object = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Every preset's result on ``day`` for one slice (one read), and the sources read."""
    requests = [
        _request(app, metric, day, countries, platforms, m, prefer, split_platforms, sources)
        for m in METHODS
    ]
    first = min(r.first_day_read(answer.TYPICAL_LOOKBACK) for r in requests)
    series, kinds, _ = totals.load(db, requests[0], first)
    if not series.height:
        return pl.DataFrame(), []
    parts = [answer.numbers(series, r, kinds).filter(pl.col("date") == day) for r in requests]
    rows = pl.concat([p for p in parts if p.height], how="diagonal_relaxed")
    sources = sorted(
        {s for text in series.get_column("source").unique().to_list() for s in text.split("+")}
    )
    return rows, sources


def _words(text: str) -> str:
    return formatting.fmt_metric(text)


def _against(label: str) -> str:
    """ "vs the previous day" -> "the previous day"."""
    return label[3:] if label.startswith("vs ") else label


def _pair(row: Mapping[str, Any]) -> str:
    return (
        f"{formatting.fmt_value(row['value'])} vs {formatting.fmt_value(row['baseline'])}, "
        f"{formatting.fmt_multiple(row['multiple'])}"
    )


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _slice_name(row: Mapping[str, Any]) -> str:
    if row["slice"] == ALL_COUNTRIES:
        scope = formatting.fmt_scope(row["country"], None)
        return f"all countries ({scope})" if scope and scope != "all" else "all countries"
    return f"{formatting.fmt_platforms(row['platform'])} alone"


def _target_multiple(claim: claims.Claim) -> Decimal:
    return claim.multiple if claim.multiple is not None else claim.readings[0].as_multiple()


def paragraph(
    check_rows: pl.DataFrame, claim: claims.Claim, words: claims.WordsCheck | None, day: date
) -> str:
    """The paragraph an editor pastes (see the module docstring); plain text."""
    mine = check_rows.filter(pl.col("slice") == CLAIMED).to_dicts()
    first = mine[0]
    scope = formatting.fmt_scope(first["country"], first["platform"])
    figure = claim.canonical if claim.kind != "words" else f"'{claims._clean(claim.text)}'"
    head = (
        f"{first['app']} ({scope}) {_words(first['metric'])} {figure} on {formatting.fmt_date(day)}"
    )
    hits = [r for r in mine if r["reproduces"]]
    compared = [r for r in mine if r["change"] is not None]
    out: list[str] = []
    if hits:
        short = len(hits) > 2
        strict_only = all(r["reading"] == "strict" for r in hits)
        phrases = []
        for r in hits:
            numbers = formatting.fmt_multiple(r["multiple"]) if short else _pair(r)
            phrase = f"{_against(r['method_label'])} ({numbers})"
            if r["reading"] == "strict" and not strict_only:
                phrase += " if read strictly"
            phrases.append(phrase)
        how = ""
        if strict_only and claim.is_ambiguous:
            how = f" only if the words are read strictly ({claim.readings[1].label}),"
        out.append(f"{head}: reproduced{how} against {_join(phrases)}.")
    elif compared:
        target = _target_multiple(claim)
        near = min(compared, key=lambda r: abs(Decimal(repr(r["multiple"])) - target))
        out.append(
            f"{head}: not reproduced by any of the {len(METHODS)} baselines; the closest is "
            f"{_against(near['method_label'])}, {formatting.fmt_pct(near['change'])} "
            f"({_pair(near)})."
        )
    else:
        out.append(f"{head}: no baseline could be computed for this day.")
    others = [r for r in compared if not r["reproduces"]]
    if not hits and compared:
        others = [r for r in others if r is not near]
    average = [r for r in others if r["method"] == presets.MOVERS_METHOD]
    if average:
        r = average[0]
        out.append(
            f"Against an average day ({_against(r['method_label'])}) it is "
            f"{formatting.fmt_pct(r['change'])} ({_pair(r)})."
        )
    rest = [
        f"{formatting.fmt_pct(r['change'])} {r['method_label']} "
        f"({formatting.fmt_multiple(r['multiple'])})"
        for r in others
        if r["method"] != presets.MOVERS_METHOD
    ]
    if rest:
        out.append(f"Other baselines: {_join(rest)}.")
    missing = [r for r in mine if r["change"] is None]
    if missing:
        out.append(
            "No baseline "
            + "; ".join(f"{_against(r['method_label'])} ({r['reason']})" for r in missing)
            + "."
        )
    # Other slices, for the method that reproduced it (else the day over day the press uses).
    method = hits[0]["method"] if hits else presets.SERIES_METHOD
    label = hits[0]["method_label"] if hits else "vs the previous day"
    elsewhere = check_rows.filter(pl.col("slice") != CLAIMED).to_dicts()
    same = [r for r in elsewhere if r["method"] == method]
    if same:
        parts = [
            f"{_slice_name(r)} {formatting.fmt_pct(r['change'])}"
            + (
                f" ({formatting.fmt_multiple(r['multiple'])})"
                if r["change"] is not None
                else f" ({r['reason']})"
            )
            for r in same
        ]
        out.append(f"Against {_against(label)}, other slices give {_join(parts)}.")
    also: dict[str, list[str]] = {}
    for r in elsewhere:
        if r["reproduces"]:
            also.setdefault(_slice_name(r), []).append(_against(r["method_label"]))
    if also:
        groups = [
            f"{name} against {_join(found)}"
            if len(found) <= 2
            else f"{name} against {len(found)} of the {len(METHODS)} baselines"
            for name, found in also.items()
        ]
        out.append(f"The claim is also reproduced by {_join(groups)}.")
    out.append(_words_sentence(claim, words))
    return " ".join(s for s in out if s)


def _words_sentence(claim: claims.Claim, words: claims.WordsCheck | None) -> str:
    if claim.kind == "words":
        return claim.notes[0][:1].upper() + claim.notes[0][1:] + "." if claim.notes else ""
    m = claim.multiple
    assert m is not None
    if claim.is_qualified:  # "nearly 300%": a range, its words are the claim's own
        return words.verdict if words is not None else ""
    if claim.kind == "percent":
        text = (
            f"'{claim.canonical}' means {formatting.fmt_number(m, claim.places + 2)} times as "
            f"many, '{claims.describe_multiple(m)}'"
        )
    else:
        text = (
            f"'{claim.canonical}' is {formatting.fmt_pct(m - 1, max(claim.places - 2, 0))}, "
            f"'{claims.describe_multiple(m)}'"
        )
    if words is not None:
        return f"{text}. {words.verdict}"
    mis = claims.misreading(m - 1) if claim.kind == "percent" else None
    if mis:
        usual = claims.check_words(mis, m)
        if not usual.fits[0]:
            verb = "understate" if usual.readings[0].as_multiple() < m else "overstate"
            usual_label = usual.readings[0].label
            return f"{text}; '{mis}' would {verb} it (most readers take it as {usual_label})."
    return text + "."


def check(
    db: Path | str | None,
    app: str,
    metric: str,
    day: date,
    claim: str | claims.Claim,
    *,
    words: str | None = None,
    countries: object = None,
    platforms: object = None,
    sources: object = None,
    prefer: object = None,
) -> Check:
    """Check ``claim`` ("+295%", "3.95x", "nearly four times as many") for ``app``'s
    ``metric`` on ``day`` in the slice ``countries`` x ``platforms`` (empty = all, summed by
    the totals rules); ``words`` are the words the article used, checked against the figure.
    ``sources`` / ``prefer`` choose sources as in a :class:`SeriesRequest`.

    Raises :class:`UsageError` with a sentence for a claim that cannot be read, an unknown
    app or metric, or a day without an observation in the slice as claimed."""
    try:
        parsed = claim if isinstance(claim, claims.Claim) else claims.parse_claim(claim)
    except claims.ClaimError as exc:
        raise UsageError(f"--claim: {exc}") from None
    countries_t = _clean_list(countries, upper=True)
    platforms_t = _clean_list(platforms)
    verdict = None
    if words and words.strip():
        if parsed.multiple is None or parsed.kind == "words":
            raise UsageError(
                "The claim is already in words: give the figure the article printed in the "
                "claim (+295%, 3.95x) and its words in --words."
            )
        try:
            verdict = claims.check_words(words, parsed.multiple, subject=parsed.canonical)
        except claims.ClaimError as exc:
            raise UsageError(f"--words: {exc}") from None

    mine, used = _slice_rows(
        db, app, metric, day, countries_t, platforms_t, prefer, sources=sources
    )
    scope = ", ".join(countries_t + platforms_t) or "all countries and platforms"
    if not mine.height or mine.get_column("value").is_null().all():
        raise UsageError(
            f"No observation of {app} {metric} ({scope}) on {formatting.fmt_date(day)}: "
            "check the day and the slice (installpulse series shows what is stored)."
        )
    frames = [mine.with_columns(slice=pl.lit(CLAIMED))]
    notes: list[str] = []
    extra: list[tuple[str, tuple[str, ...], tuple[str, ...], bool | None]] = []
    if countries_t:
        extra.append((ALL_COUNTRIES, (), platforms_t, None))
    extra.append(("platform", countries_t, (), True))
    for role, cs, ps, split in extra:
        try:
            rows, found = _slice_rows(
                db, app, metric, day, cs, ps, prefer, split_platforms=split, sources=sources
            )
        except UsageError as exc:
            notes.append(f"{role}: {exc}")
            continue
        if not rows.height:
            continue
        if role == "platform":
            rows = rows.filter(~pl.col("platform").is_in(list(platforms_t)))
            if not platforms_t and rows.get_column("platform").n_unique() < 2:
                continue  # one platform only: the same numbers as the slice as claimed
            rows = rows.with_columns(slice=pl.col("platform"))
        else:
            rows = rows.with_columns(slice=pl.lit(role))
        used = sorted(set(used) | set(found))
        frames.append(rows)
    table = _ordered(pl.concat(frames, how="diagonal_relaxed"))
    hits = [
        parsed.matches(c, m)
        for c, m in zip(table.get_column("change"), table.get_column("multiple"), strict=True)
    ]
    table = table.with_columns(
        reproduces=pl.Series([bool(h) for h in hits], dtype=pl.Boolean),
        reading=pl.Series(
            [_reading_name(parsed, h) for h in hits],
            dtype=pl.String,
        ),
    ).select(TABLE_COLUMNS)
    name = table.get_column("app")[0]
    text = paragraph(table, parsed, verdict, day)
    if used:
        text += " " + source_line(used) + "."
    return Check(name, metric, day, parsed, verdict, table, text, used, tuple(notes))


def _ordered(table: pl.DataFrame) -> pl.DataFrame:
    """The slice as claimed, all countries, then platforms (iOS first); methods in the
    pickers' order."""
    platforms = list(formatting.PLATFORM_LABELS)
    slice_rank = [
        0
        if s == CLAIMED
        else 1
        if s == ALL_COUNTRIES
        else 2 + (platforms.index(s) if s in platforms else len(platforms))
        for s in table.get_column("slice").to_list()
    ]
    method_rank = [METHODS.index(m) for m in table.get_column("method").to_list()]
    return (
        table.with_columns(
            _s=pl.Series(slice_rank, dtype=pl.Int32), _m=pl.Series(method_rank, dtype=pl.Int32)
        )
        .sort(["_s", "slice", "_m"])
        .drop("_s", "_m")
    )


def _reading_name(claim: claims.Claim, hits: list[claims.Reading]) -> str | None:
    if not hits:
        return None
    if not claim.is_ambiguous:
        return "as written"
    return "strict" if all(h.strict for h in hits) else "common"


def _clean_list(values: object, *, upper: bool = False) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:  # type: ignore[union-attr]
        text = str(v).strip() if v is not None else ""
        text = text.upper() if upper else text
        if text and text not in out:
            out.append(text)
    return tuple(out)


# ----------------------------------------------------------------------------- page state
#: The demo's published figure: the page opens on it when the demo is loaded.
DEMO_CLAIM = {
    "app": "ChatGPT",
    "metric": "uninstalls",
    "countries": ["US"],
    "day": date(2026, 2, 28),
    "claim": "+295%",
}


@dataclass
class CheckState:
    """What the "Check a figure" page shows; the query string carries all of it
    (``app``, ``metric``, ``countries`` and ``platforms`` as repeated keys, ``day``,
    ``claim``, ``words``), so a copied URL opens the same check."""

    app: str = ""
    metric: str = ""
    countries: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    day: date | None = None
    claim: str = ""
    words: str = ""

    def to_params(self) -> dict[str, str | list[str]]:
        """Query parameters; empty values are left out."""
        out: dict[str, str | list[str]] = {}
        for name in ("app", "metric"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("countries", "platforms"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.day is not None:
            out["day"] = self.day.isoformat()
        for name in ("claim", "words"):
            if getattr(self, name).strip():
                out[name] = getattr(self, name).strip()
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> CheckState:
        """Parse query parameters (str or list values); bad dates are dropped."""

        def last(name: str) -> str:
            values = _clean_list(params.get(name))
            return values[-1] if values else ""

        day = None
        try:
            day = date.fromisoformat(last("day")) if last("day") else None
        except ValueError:
            day = None
        return cls(
            app=last("app"),
            metric=last("metric"),
            countries=list(_clean_list(params.get("countries"), upper=True)),
            platforms=list(_clean_list(params.get("platforms"))),
            day=day,
            claim=last("claim")[:200],
            words=last("words")[:200],
        )

    def sanitize(self, options: Mapping[str, Any], *, demo: bool = False) -> CheckState:
        """Keep what the database offers; an empty state opens on the demo's published
        figure when ``demo`` (else the first app, the last day and no claim)."""
        apps, metrics = list(options.get("apps") or []), list(options.get("metrics") or [])
        start = (
            self.to_params() == {}
            and demo
            and DEMO_CLAIM["app"] in apps
            and DEMO_CLAIM["metric"] in metrics
        )
        base = CheckState(**DEMO_CLAIM) if start else CheckState(**vars(self))  # type: ignore[arg-type]
        base.app = base.app if base.app in apps else (apps[0] if apps else "")
        default_metric = next((m for m in ("uninstalls", "downloads") if m in metrics), "")
        base.metric = (
            base.metric
            if base.metric in metrics
            else default_metric or (metrics[0] if metrics else "")
        )
        base.countries = [c for c in base.countries if c in (options.get("countries") or [])]
        base.platforms = [p for p in base.platforms if p in (options.get("platforms") or [])]
        first, last = options.get("first_date"), options.get("last_date")
        if isinstance(first, date) and isinstance(last, date):
            if base.day is None or not first <= base.day <= last:
                base.day = last
        return base
