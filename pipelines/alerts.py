"""Alerts: watch rules, their evaluation after every import, and delivery to a webhook.

A rule (``installpulse alerts add``) names apps, a metric and a slice (countries, platforms)
and fires on the robust spike score or on the % change against a baseline method. After every
import commits (the import contract calls :func:`after_import`; connectors' sync imports
through the same contract), the imports no evaluation has seen yet are evaluated, for the
days they wrote or restated plus the days whose numbers depend on those (the score's 28-day
window, the baseline's look-back), through the semantic core: the request Explore would make
(:class:`semantic.views.ExploreState`) answered by :func:`semantic.answer.answer`, scored by
:func:`analytics.spikes.score`, decided by :mod:`analytics.alerting`. So the numbers in a
message are the numbers the linked Explore view shows.

One message per episode: consecutive firing days of one rule and app are one episode, stored
in ``alert_episodes`` and matched on every later evaluation, so a re-import, a restatement or
the next day of the same spike never sends it again; a restatement that removes the spike is
recorded on the episode (a sent message stays sent).

Delivery (Slack-compatible JSON through requests) never holds up an import for longer than
INSTALLPULSE_ALERT_DEADLINE: the connection goes through :mod:`pipelines.fetch`'s guards
(public addresses only unless INSTALLPULSE_FETCH_ALLOW_HOSTS; the checked address pinned; a
watchdog deadline), retries are bounded and honour Retry-After, and whatever is not delivered
stays pending for the next import, sync or ``installpulse alerts retry``. The webhook URL is a
secret: messages and errors name its host only.
"""

from __future__ import annotations

import getpass
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import polars as pl

from analytics import baselines, formatting
from pipelines import auth, settings, sql, store
from pipelines.errors import UsageError, clip
from semantic import presets

if TYPE_CHECKING:
    from semantic.views import ExploreState

# Every import runs the hook (after_import): without an enabled rule it is one small query, so
# the semantic core, requests and the fetch guards are imported by the functions that use
# them, not here (requests alone is 0.1-0.3 s of a CLI ingest).

_log = logging.getLogger(__name__)

#: Days shown before the evaluated days in the Explore link (and read for the episode run).
CONTEXT_DAYS = presets.SPIKE_WINDOW
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_BASELINE = presets.SERIES_METHOD


# ----- rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One watch rule as stored (``alert_rules``)."""

    rule_id: int
    apps: tuple[str, ...]
    metric: str
    countries: tuple[str, ...]
    platforms: tuple[str, ...]
    kind: str
    threshold: float
    direction: str
    baseline: str
    webhook_url: str
    is_enabled: bool = True
    after_import_id: int = 0
    created_by: str = ""
    created_at: datetime | None = None

    @property
    def method(self) -> baselines.Method:
        return baselines.parse_method(self.baseline)

    def condition(self) -> str:
        """The rule in words: "robust spike score >= 3.5 (up)", "change >= +100% vs the
        previous day (up)"."""
        if self.kind == "score":
            text = f"robust spike score {_ge(self.direction)} {_threshold_text(self)}"
        else:
            text = f"change {_ge(self.direction)} {_threshold_text(self)} {self.method.label}"
        return f"{text} ({self.direction})"

    def slice_text(self) -> str:
        """ "US, iOS" / "all countries, all platforms"."""
        countries = "+".join(self.countries) if self.countries else "all countries"
        platforms = (
            "+".join(formatting.fmt_platforms(p) for p in self.platforms)
            if self.platforms
            else "all platforms"
        )
        return f"{countries}, {platforms}"


def _ge(direction: str) -> str:
    return {"up": ">=", "down": "<=", "both": "|x| >="}[direction]


def _threshold_text(rule: Rule) -> str:
    if rule.kind == "score":
        value = formatting.fmt_number(rule.threshold, 1)
        return f"-{value}" if rule.direction == "down" else value
    signed = -rule.threshold if rule.direction == "down" else rule.threshold
    return (
        formatting.fmt_pct(signed)
        if rule.direction != "both"
        else formatting.fmt_pct(rule.threshold, signed=False)
    )


def webhook_host(url: str) -> str:
    """What may be shown of a webhook URL: its host (and port). The path of a Slack incoming
    webhook is its secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "?"
    return f"{host}:{port}" if port else host


def parse_change(text: str) -> tuple[float, str | None]:
    """ "100%", "+100%", "-50%" or "100" (percent) -> (fraction, direction implied by a sign)."""
    raw = str(text).strip().replace(" ", "")
    implied = "down" if raw.startswith("-") else "up" if raw.startswith("+") else None
    number = raw.lstrip("+-").removesuffix("%")
    try:
        value = float(number) / 100
    except ValueError:
        raise UsageError(
            f"--change {text!r} is not a percentage: write e.g. 100% (a rise of 100%, 2x) or "
            "-50% (a fall by half)."
        ) from None
    if not value > 0:
        raise UsageError(f"--change {text!r}: the change must be above 0%.")
    return value, implied


def _check_webhook(url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise UsageError("The webhook URL is not a valid URL (check its port).") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(
            "The webhook must be an http or https URL with a host, such as a Slack incoming "
            "webhook (https://hooks.slack.com/services/...)."
        )


def add_rule(
    db: Path | str | None,
    apps: Sequence[str],
    metric: str,
    *,
    webhook: str,
    countries: Sequence[str] = (),
    platforms: Sequence[str] = (),
    score: float | None = None,
    change: str | float | None = None,
    direction: str | None = None,
    baseline: str | None = None,
    created_by: str | None = None,
    actor: auth.Actor | None = None,
) -> Rule:
    """Validate and store a rule; returns it. Exactly one of ``score`` (a robust score
    threshold) and ``change`` (a percentage such as "100%") is given. Apps and the metric must
    be known to the database (a typo would otherwise never fire). ``actor`` (default: the local
    admin) must be an admin; the rule records it unless ``created_by`` names someone."""
    auth.require(actor, "alerts")
    from analytics import alerting
    from semantic import totals
    from semantic.request import SeriesRequest

    if (score is None) == (change is None):
        raise UsageError("Give exactly one of --score N or --change P% for a rule.")
    implied = None
    if score is not None:
        kind, threshold = "score", float(score)
        if threshold < 0:
            threshold, implied = -threshold, "down"
    else:
        kind = "change"
        if isinstance(change, str):
            threshold, implied = parse_change(change)
        else:
            threshold = float(change)  # type: ignore[arg-type]
    # An unsigned --change 100% means a rise (a fall by 100% is a value of zero); a score
    # threshold watches both directions unless told.
    direction = direction or implied or ("both" if kind == "score" else "up")
    if implied and direction != implied:
        raise UsageError(
            f"The threshold's sign says {implied!r} but --direction says {direction!r}: "
            "give one of them."
        )
    try:
        alerting.check_rule(kind, threshold, direction)
        method = baselines.parse_method(baseline or DEFAULT_BASELINE)
        baselines.lookback_days(method, "day")
    except ValueError as exc:
        text = str(exc)
        raise UsageError(text[:1].upper() + text[1:] + ".") from None
    _check_webhook(webhook)
    try:
        request = SeriesRequest.build(
            list(apps),
            [metric],
            date.today(),
            date.today(),
            countries=list(countries),
            platforms=list(platforms),
            method=method,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not request.apps:
        raise UsageError("Name at least one app (--app NAME).")
    with store.write_lock, store.connect(db) as con:
        names, _ = totals.resolve(con, request, db)
        rule_id = int(
            sql.run(
                con,
                "alert_rule_insert",
                apps=list(names),
                metric=metric,
                countries=list(request.countries),
                platforms=list(request.platforms),
                kind=kind,
                threshold=threshold,
                direction=direction,
                baseline=method.name,
                webhook_url=webhook,
                created_by=created_by or (actor.id if actor else _user()),
            )[0][0]
        )
    return next(r for r in list_rules(db) if r.rule_id == rule_id)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _rules(con: Any, enabled_only: bool) -> list[Rule]:
    rows = sql.run(con, "alert_rules_list", enabled_only=enabled_only)
    return [
        Rule(
            rule_id=int(r[0]),
            apps=tuple(r[1]),
            metric=r[2],
            countries=tuple(r[3]),
            platforms=tuple(r[4]),
            kind=r[5],
            threshold=float(r[6]),
            direction=r[7],
            baseline=r[8],
            webhook_url=r[9],
            is_enabled=bool(r[10]),
            after_import_id=int(r[11]),
            created_by=r[12],
            created_at=r[13],
        )
        for r in rows
    ]


def list_rules(db: Path | str | None) -> list[Rule]:
    """The rules not removed, oldest first."""
    with store.connect(db) as con:
        return _rules(con, enabled_only=False)


def rules_frame(rules: Sequence[Rule]) -> pl.DataFrame:
    """The rules as a table (``alerts list``): the webhook by host only."""
    return pl.DataFrame(
        {
            "rule_id": [r.rule_id for r in rules],
            "apps": [", ".join(r.apps) for r in rules],
            "metric": [r.metric for r in rules],
            "slice": [r.slice_text() for r in rules],
            "condition": [r.condition() for r in rules],
            "webhook": [webhook_host(r.webhook_url) for r in rules],
            "enabled": [r.is_enabled for r in rules],
            "created_by": [r.created_by for r in rules],
            "created_at": [r.created_at for r in rules],
        },
        schema_overrides={"rule_id": pl.Int64, "enabled": pl.Boolean, "created_at": pl.Datetime},
    )


def remove_rule(db: Path | str | None, rule_id: int, actor: auth.Actor | None = None) -> None:
    """Remove a rule (kept for its episodes' history; its undelivered messages are dropped);
    admins only (``actor``, default: the local admin)."""
    auth.require(actor, "alerts")
    with store.write_lock, store.connect(db) as con:
        found = sql.run(con, "alert_rule_remove", rule_id=rule_id, now=_now())
        if not found:
            raise UsageError(f"There is no alert rule #{rule_id}; see `installpulse alerts list`.")
        sql.run(con, "alert_rule_remove_pending", rule_id=rule_id)


def recent_episodes(
    db: Path | str | None, limit: int = 20, statuses: Sequence[str] | None = None
) -> pl.DataFrame:
    """The latest episodes, newest first (all statuses unless ``statuses``)."""
    with store.connect(db) as con:
        return sql.frame(
            con,
            "alert_episodes_recent",
            limit=limit,
            statuses=list(statuses) if statuses else None,
        )


def _now() -> datetime:
    """Naive UTC: every time this module stores or compares is taken here, never from DuckDB's
    clock (whose time zone is the session's)."""
    return datetime.now(UTC).replace(tzinfo=None)


# ----- evaluation -------------------------------------------------------------------------


def after_import(db: Path | str | None) -> None:
    """The import contract's hook, called after an import committed: evaluate and deliver.

    Never raises: an alert must not turn a successful import into a failure. What goes wrong
    is logged; imports not evaluated stay unchecked and messages not delivered stay pending,
    for the next import, sync or ``installpulse alerts retry``."""
    try:
        with store.connect(db) as con:
            if not _rules(con, enabled_only=True):
                return
        evaluate(db)
        deliver_pending(db)
    except Exception as exc:
        _log.warning("Alert evaluation after the import failed: %s", exc)


@dataclass
class Evaluation:
    """What one evaluation did: the imports it looked at and the episodes it found or met."""

    imports: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    extended: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


def evaluate(db: Path | str | None) -> Evaluation:
    """Evaluate every enabled rule on the imports no evaluation has seen (see module)."""
    done = Evaluation()
    with store.connect(db) as con:
        rules = _rules(con, enabled_only=True)
        if not rules:
            return done
        after = min(r.after_import_id for r in rules)
        imports = [int(r[0]) for r in sql.run(con, "alert_unchecked", after=after)]
        if not imports:
            return done
        ranges = sql.run(con, "alert_import_ranges", import_ids=imports)
    done.imports = imports
    for rule in rules:
        touched = [
            (first, last, import_id)
            for app, metric, import_id, first, last in ranges
            if import_id > rule.after_import_id and metric == rule.metric and app in rule.apps
        ]
        if touched:
            first = min(t[0] for t in touched)
            last = max(t[1] for t in touched)
            found_by = max(t[2] for t in touched)
            _evaluate_rule(db, rule, first, last, found_by, done)
    with store.write_lock, store.connect(db) as con:
        sql.run(con, "alert_checked_insert", import_ids=imports, now=_now())
    return done


def depends_days(rule: Rule) -> int:
    """How many days after a changed day a rule's firing can change with it: the score's
    window for score rules, the baseline's look-back for change rules."""
    if rule.kind == "score":
        return presets.SPIKE_WINDOW
    return baselines.lookback_days(rule.method, "day")


def _newest(db: Path | str | None, rule: Rule) -> dict[str, date]:
    out: dict[str, date] = {}
    with store.connect(db) as con:
        for app in rule.apps:
            last = sql.run(con, "analysis_last_date", app=app, metrics=[rule.metric])[0][0]
            if last is not None:
                out[app] = last
    return out


def rule_days(
    db: Path | str | None, rule: Rule, start: date, end: date
) -> tuple[ExploreState, pl.DataFrame]:
    """(the Explore view, one row per series and day of it with the answer's numbers plus
    ``score`` and ``median``): exactly the request and numbers the Explore page shows for that
    view. Every day read is scored, as the page scores its spike markers, so the days read
    before ``start`` (the look-back) are the scores' and baselines' history there too."""
    from analytics import spikes
    from semantic import answer
    from semantic.answer import KEYS
    from semantic.views import ExploreState, source_line

    state = ExploreState(
        apps=list(rule.apps),
        metrics=[rule.metric],
        countries=list(rule.countries),
        platforms=list(rule.platforms),
        start=start,
        end=end,
        baseline=rule.baseline,
    )
    result = answer.answer(db, state.request(), with_spikes=False)
    if not result.results.height:
        return state, pl.DataFrame()
    scored = spikes.score(
        result.series.select(*KEYS, "date", "value"), window=presets.SPIKE_WINDOW, keys=KEYS
    ).select(*KEYS, "date", "score", "median")
    days = result.results.join(scored, on=[*KEYS, "date"], how="left", nulls_equal=True)
    sources = {row["app"]: row["source"] for row in result.series.iter_rows(named=True)}
    days = days.with_columns(
        source_line=pl.col("app").replace_strict(
            {app: source_line(str(src).split("+")) for app, src in sources.items()},
            default=source_line([]),
        )
    )
    return state, days


def _evaluate_rule(
    db: Path | str | None, rule: Rule, first: date, last: date, found_by: int, done: Evaluation
) -> None:
    from analytics import alerting
    from semantic.answer import KEYS

    newest = _newest(db, rule)
    if not newest:
        return
    end = max(min(last + timedelta(days=depends_days(rule)), max(newest.values())), last)
    start = first - timedelta(days=CONTEXT_DAYS)
    try:
        state, days = rule_days(db, rule, start, end)
    except UsageError as exc:
        # The rule cannot be answered (an app renamed away, a level that would be summed): said
        # in the log, and the import counts as evaluated. A busy database is not caught here:
        # the imports then stay unevaluated for the next hook or `alerts retry`.
        _log.warning("Alert rule #%s could not be evaluated: %s", rule.rule_id, exc)
        return
    current = pl.DataFrame()
    flagged = pl.DataFrame()
    if days.height:
        flagged = alerting.firing(days, rule.kind, rule.threshold, rule.direction)
        current = alerting.episodes(flagged, keys=KEYS)
        # only runs that reach a day this evaluation is about
        current = current.filter((pl.col("end_date") >= first) & (pl.col("start_date") <= end))
    max_age = settings.get_int("INSTALLPULSE_ALERT_MAX_AGE_DAYS")
    now = _now()
    with store.write_lock, store.connect(db) as con:
        known = sql.run(
            con, "alert_episodes_of_rule", rule_id=rule.rule_id, since=start - timedelta(days=1)
        )
        met: set[int] = set()
        for ep in current.iter_rows(named=True):
            same = [
                k
                for k in known
                if k[1] == ep["app"]
                and k[2] == ep["direction"]
                and k[3] <= ep["end_date"] + timedelta(days=1)
                and k[4] >= ep["start_date"] - timedelta(days=1)
            ]
            if same:
                for k in same:
                    met.add(int(k[0]))
                    sql.run(
                        con,
                        "alert_episode_extend",
                        episode_id=int(k[0]),
                        start_date=ep["start_date"],
                        end_date=ep["end_date"],
                        n_days=ep["n_days"],
                    )
                    done.extended.append(int(k[0]))
                continue
            app_newest = newest.get(ep["app"])
            if app_newest is not None and ep["end_date"] < app_newest - timedelta(days=max_age):
                continue  # an old spike met by a backfill: not news
            peak = flagged.filter(
                (pl.col("app") == ep["app"])
                & (pl.col("direction") == ep["direction"])
                & (pl.col("date") == ep["peak_date"])
            ).row(0, named=True)
            inserted = _insert_episode(con, rule, state, ep, peak, found_by, now)
            if inserted is not None:
                done.new.append(inserted)
        for k in known:
            episode_id, app, _, k_start, k_end = int(k[0]), k[1], k[2], k[3], k[4]
            if episode_id in met or k[7] is not None:
                continue
            if app in rule.apps and k_start <= end and k_end >= first:
                sql.run(
                    con,
                    "alert_episode_withdraw",
                    episode_id=episode_id,
                    import_id=found_by,
                    now=now,
                )
                done.withdrawn.append(episode_id)


def explore_url(state: ExploreState) -> str:
    """The Explore view's address under INSTALLPULSE_APP_URL."""
    base = settings.get("INSTALLPULSE_APP_URL").rstrip("/")
    return f"{base}/explore?{urlencode(state.to_params(), doseq=True)}"


def explore_params(url: str) -> dict[str, list[str]]:
    """The query of a stored Explore link, for the app's own page links (which do not go
    through INSTALLPULSE_APP_URL)."""
    return parse_qs(urlsplit(url).query)


def _insert_episode(
    con: Any,
    rule: Rule,
    state: ExploreState,
    ep: Mapping[str, Any],
    peak: Mapping[str, Any],
    found_by: int,
    now: datetime,
) -> int | None:
    from semantic.views import ExploreState

    link = ExploreState(
        apps=[ep["app"]],
        metrics=[rule.metric],
        countries=list(state.countries),
        platforms=list(state.platforms),
        start=state.start,
        end=state.end,
        baseline=state.baseline,
        day=ep["peak_date"],
    )
    url = explore_url(link)
    episode = {**peak, "start_date": ep["start_date"], "end_date": ep["end_date"]}
    episode["n_days"] = ep["n_days"]
    headline = alerting_headline(peak)
    payload = message(rule, episode, url)
    rows = sql.run(
        con,
        "alert_episode_insert",
        rule_id=rule.rule_id,
        app=ep["app"],
        metric=rule.metric,
        country=peak.get("country"),
        platform=peak.get("platform"),
        source=peak.get("source"),
        direction=ep["direction"],
        start_date=ep["start_date"],
        end_date=ep["end_date"],
        n_days=ep["n_days"],
        peak_date=ep["peak_date"],
        value=peak.get("value"),
        baseline=peak.get("baseline"),
        change=peak.get("change"),
        multiple=peak.get("multiple"),
        method=peak.get("method"),
        method_label=peak.get("method_label"),
        score=peak.get("score"),
        median=peak.get("median"),
        sentence=headline,
        explore_url=url,
        payload=json.dumps(payload, ensure_ascii=False),
        found_by=found_by,
        now=now,
    )
    return int(rows[0][0]) if rows else None


# ----- the message ------------------------------------------------------------------------


def _head(row: Mapping[str, Any]) -> str:
    """ "ChatGPT (US, iOS+Android) uninstalls"."""
    scope = formatting.fmt_scope(row.get("country"), row.get("platform"))
    metric = formatting.fmt_metric(row.get("metric"))
    return f"{row['app']} ({scope}) {metric}" if scope else f"{row['app']} {metric}"


def alerting_headline(row: Mapping[str, Any]) -> str:
    """The alert's sentence for the peak day: "ChatGPT (US, iOS+Android) uninstalls +295% vs
    the previous day (12,640 vs 3,200, 3.95x) on Sat 28 Feb 2026; robust spike score +9.5."

    Every number through :mod:`analytics.formatting` (the rounding every surface uses)."""
    head = _head(row)
    when = formatting.fmt_date(row["date"])
    if row.get("change") is not None:
        text = (
            f"{head} {formatting.fmt_pct(row['change'])} {row['method_label']} "
            f"({formatting.fmt_value(row['value'])} vs {formatting.fmt_value(row['baseline'])}, "
            f"{formatting.fmt_multiple(row['multiple'])}) on {when}"
        )
    else:
        reason = row.get("reason") or "no baseline"
        text = f"{head} {formatting.fmt_value(row.get('value'))} on {when} (no change: {reason})"
    if row.get("score") is not None:
        text += f"; robust spike score {formatting.fmt_score(row['score'])}"
    return text + "."


def _mrkdwn(text: str) -> str:
    """Slack's three control characters escaped (app names and labels are user text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def numbers_lines(rule: Rule, row: Mapping[str, Any]) -> list[str]:
    """The numbers behind the sentence, each with its method."""
    lines = [
        f"Value: {formatting.fmt_value(row.get('value'))} on {formatting.fmt_date(row['date'])}"
    ]
    label = str(row.get("method_label") or rule.method.label)
    if row.get("baseline") is not None:
        lines.append(
            f"Baseline ({label.removeprefix('vs ')}): {formatting.fmt_value(row['baseline'])}"
        )
    if row.get("change") is not None:
        lines.append(
            f"Change: {formatting.fmt_pct(row['change'])} {label} "
            f"({formatting.fmt_multiple(row['multiple'])})"
        )
    elif row.get("reason"):
        lines.append(f"Change: none ({row['reason']})")
    if row.get("score") is not None:
        lines.append(
            f"Robust spike score: {formatting.fmt_score(row['score'])} (distance from the "
            f"median of the previous {presets.SPIKE_WINDOW} days, "
            f"{formatting.fmt_value(row.get('median'))}, in robust standard deviations: "
            "1.4826 x MAD)"
        )
    if row.get("typical_change") is not None:
        typical = formatting.fmt_pct(row["typical_change"], signed=False)
        lines.append(
            f"Typical day-over-day change over the previous {presets.TYPICAL_WINDOW} days: "
            f"{typical}"
        )
    days = int(row.get("n_days") or 1)
    lines.append(
        f"Episode: firing since {formatting.fmt_date(row['start_date'])} "
        f"({days} day{'s' if days != 1 else ''}); later days of this spike send no new message"
    )
    lines.append(f"Rule #{rule.rule_id}: {rule.condition()}")
    return lines


def message(rule: Rule, row: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The Slack-compatible body: ``text`` (the sentence: notifications and clients without
    blocks show it) and ``blocks`` (sentence, numbers with their methods, the Explore link,
    the source line)."""
    headline = alerting_headline(row)
    numbers = "\n".join(f"• {_mrkdwn(line)}" for line in numbers_lines(rule, row))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(headline)}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": numbers}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"<{url}|Open in Explore>"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _mrkdwn(str(row.get("source_line") or ""))}],
        },
    ]
    return {"text": headline, "blocks": blocks}


def test_message(rule: Rule) -> dict[str, Any]:
    """The body of ``alerts test``: says what the rule watches; no numbers."""
    text = (
        f"installpulse test message for alert rule #{rule.rule_id}: {', '.join(rule.apps)} "
        f"{formatting.fmt_metric(rule.metric)} ({rule.slice_text()}), {rule.condition()}."
    )
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(text)}}],
    }


# ----- delivery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One message's delivery round: 'sent', 'pending' (try again later) or 'failed' (the
    receiver refused it: retrying would not help)."""

    status: str
    attempts: int
    error: str | None = None
    retry_after: float | None = None
    http_status: int | None = None


def _deadline(url: str, seconds: float) -> Any:
    """fetch's download clock (its watchdog shuts the webhook's socket down when time is up)
    with the delivery round's remaining seconds instead of INSTALLPULSE_FETCH_DEADLINE."""
    from pipelines import fetch

    clock = fetch._Clock(url)
    clock._timer.cancel()
    clock.limit = max(seconds, 0.0)
    clock.end = time.monotonic() + clock.limit
    clock._timer = threading.Timer(clock.limit, clock._expire)
    clock._timer.daemon = True
    clock._timer.start()
    return clock


class _NotSent(Exception):
    def __init__(self, text: str, retry: bool = True) -> None:
        super().__init__(text)
        self.retry = retry


def _post_once(url: str, body: bytes, end: float) -> tuple[int, str, str | None]:
    """POST ``body`` once through fetch's guards; (status, start of the answer, Retry-After).
    Raises _NotSent with a sentence naming only the host."""
    import requests
    import urllib3

    from pipelines import fetch

    host = webhook_host(url)
    try:
        _, addresses, _ = fetch.resolve_checked(url)
    except fetch.FetchFailed as exc:
        # (fetch's own sentences name the host, never the path: its file_name is not used)
        problem = exc.problems[0] if exc.problems else None
        text = f"{problem.message} {problem.hint or ''}".strip() if problem else "refused."
        refused = text.startswith(("refused", "only http"))
        raise _NotSent(f"{host}: {text}", retry=not refused) from None
    left = end - time.monotonic()
    if left <= 0:
        raise _NotSent(f"no time left in this delivery round to reach {host}")
    connect = min(settings.get_float("INSTALLPULSE_ALERT_CONNECT_TIMEOUT"), left)
    read = min(settings.get_float("INSTALLPULSE_ALERT_READ_TIMEOUT"), left)
    with _deadline(url, left) as clock:
        for index, address in enumerate(addresses):
            session = requests.Session()
            session.trust_env = False
            session.mount("http://", fetch._PinnedAdapter(address, clock))
            session.mount("https://", fetch._PinnedAdapter(address, clock))
            try:
                response = session.post(
                    url,
                    data=body,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "User-Agent": fetch.USER_AGENT,
                    },
                    timeout=(connect, read),
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    answer_text = response.raw.read(200, decode_content=True) or b""
                except (urllib3.exceptions.HTTPError, OSError):
                    answer_text = b""  # the status is the answer; its text is only shown
                finally:
                    response.close()
                text = answer_text.decode("utf-8", "replace")
                return response.status_code, text, response.headers.get("Retry-After")
            except requests.exceptions.ReadTimeout:
                raise _NotSent(
                    f"{host} did not answer within {read:g} s (INSTALLPULSE_ALERT_READ_TIMEOUT)"
                ) from None
            except requests.exceptions.ConnectionError as exc:
                if clock.expired:
                    raise _NotSent(
                        f"{host} did not answer within the delivery round's "
                        f"{settings.get('INSTALLPULSE_ALERT_DEADLINE')} s "
                        "(INSTALLPULSE_ALERT_DEADLINE)"
                    ) from None
                if index == len(addresses) - 1:
                    raise _NotSent(f"could not connect to {host} ({type(exc).__name__})") from None
            except requests.exceptions.RequestException as exc:
                raise _NotSent(f"the request to {host} failed ({type(exc).__name__})") from None
    raise AssertionError("unreachable: resolve_checked returns at least one address")


def post(url: str, body: Mapping[str, Any], end: float) -> Outcome:
    """Deliver one message within the round ending at ``end`` (time.monotonic()): bounded
    retries after a connection failure or a 429/5xx, waiting as Retry-After asks when that fits
    the round and INSTALLPULSE_ALERT_MAX_RETRY_AFTER; a timeout is not retried in the same
    round (the receiver may still be handling the message)."""
    from pipelines import fetch

    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    host = webhook_host(url)
    retries = settings.get_int("INSTALLPULSE_ALERT_RETRIES")
    cap = settings.get_float("INSTALLPULSE_ALERT_MAX_RETRY_AFTER")
    attempt = 0
    while True:
        attempt += 1
        retry_after: float | None = None
        try:
            status, text, asked = _post_once(url, data, end)
        except _NotSent as exc:
            if not exc.retry:
                return Outcome("failed", attempt, str(exc))
            problem = str(exc)
            if "did not answer" in problem or "no time left" in problem:
                return Outcome("pending", attempt, problem)
        else:
            if 200 <= status < 300:
                return Outcome("sent", attempt, http_status=status)
            snippet = clip(text.strip(), 80)
            problem = f"{host} answered HTTP {status}" + (f" ({snippet})" if snippet else "")
            if status not in RETRY_STATUSES:
                return Outcome("failed", attempt, problem, http_status=status)
            retry_after = fetch._retry_after(asked)
        if retry_after is not None and retry_after > cap:
            return Outcome(
                "pending", attempt, f"{problem}; it asks to wait {retry_after:.0f} s", retry_after
            )
        if attempt > retries:
            return Outcome("pending", attempt, f"{problem} (after {attempt} attempts)", retry_after)
        wait = retry_after if retry_after is not None else min(0.25 * 2 ** (attempt - 1), cap)
        if time.monotonic() + wait >= end:
            return Outcome("pending", attempt, problem, retry_after)
        time.sleep(wait)


@dataclass
class Delivery:
    """What a delivery round did."""

    sent: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def deliver_pending(db: Path | str | None) -> Delivery:
    """Send the pending messages that are due, within one INSTALLPULSE_ALERT_DEADLINE round."""
    done = Delivery()
    seconds = settings.get_float("INSTALLPULSE_ALERT_DEADLINE")
    end = time.monotonic() + seconds
    now = _now()
    with store.write_lock, store.connect(db) as con:
        leased = [
            int(r[0])
            for r in sql.run(
                con, "alert_lease", now=now, lease_until=now + timedelta(seconds=seconds + 30)
            )
        ]
        if not leased:
            return done
        rows = sql.run(con, "alert_deliveries", episode_ids=leased)
    max_attempts = settings.get_int("INSTALLPULSE_ALERT_MAX_ATTEMPTS")
    for episode_id, _rule_id, payload, url, attempts in rows:
        if time.monotonic() >= end:
            outcome = Outcome("pending", 0, "not tried: the delivery round's time was used up")
        else:
            outcome = post(url, json.loads(payload), end)
        status = outcome.status
        if status == "pending" and attempts + outcome.attempts >= max_attempts:
            status = "failed"
        next_at = (
            _now() + timedelta(seconds=outcome.retry_after)
            if status == "pending" and outcome.retry_after
            else None
        )
        with store.write_lock, store.connect(db) as con:
            sql.run(
                con,
                "alert_delivery_result",
                episode_id=int(episode_id),
                status=status,
                attempts=outcome.attempts,
                last_error=outcome.error,
                next_attempt_at=next_at,
                now=_now(),
            )
        getattr(done, status).append(int(episode_id))
        if outcome.error:
            done.errors[int(episode_id)] = outcome.error
    return done


def send_test(db: Path | str | None, rule_id: int) -> Outcome:
    """Send a test message to a rule's webhook (not stored)."""
    rule = next((r for r in list_rules(db) if r.rule_id == rule_id), None)
    if rule is None:
        raise UsageError(f"There is no alert rule #{rule_id}; see `installpulse alerts list`.")
    end = time.monotonic() + settings.get_float("INSTALLPULSE_ALERT_DEADLINE")
    return post(rule.webhook_url, test_message(rule), end)


def retry(db: Path | str | None) -> tuple[Evaluation, Delivery]:
    """``installpulse alerts retry``: evaluate imports not evaluated yet, then deliver what is
    pending and due."""
    return evaluate(db), deliver_pending(db)
