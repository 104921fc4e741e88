"""`installpulse alerts`: add, list, remove, retry and test watch rules (pipelines.alerts).

Registered into the main parser through `cli.EXTRA_COMMANDS`, like the analytics commands.
The webhook URL is a secret: nothing here prints more of it than its host.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from analytics import baselines
from pipelines import alerts, cli


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("the score threshold must not be 0 (3.5 is usual)")
    return value


def cmd_alerts(args: argparse.Namespace) -> int:
    command = args.alerts_command or "list"
    if command == "add":
        rule = alerts.add_rule(
            args.db,
            args.app,
            args.metric,
            webhook=args.webhook,
            countries=args.country or (),
            platforms=args.platform or (),
            score=args.score,
            change=args.change,
            direction=args.direction,
            baseline=args.baseline,
            created_by=args.by,
        )
        print(
            f"Alert rule #{rule.rule_id}: {', '.join(rule.apps)} {rule.metric} "
            f"({rule.slice_text()}), {rule.condition()}; messages to "
            f"{alerts.webhook_host(rule.webhook_url)}. Evaluated after every import from now on."
        )
        return 0
    if command == "remove":
        alerts.remove_rule(args.db, args.rule_id)
        print(f"Alert rule #{args.rule_id} removed; its undelivered messages will not be sent.")
        return 0
    if command == "retry":
        evaluation, delivery = alerts.retry(args.db)
        return _report(evaluation, delivery)
    if command == "test":
        outcome = alerts.send_test(args.db, args.rule_id)
        if outcome.status == "sent":
            print(f"Test message for rule #{args.rule_id} delivered (HTTP {outcome.http_status}).")
            return 0
        print(
            f"installpulse: the test message for rule #{args.rule_id} was not delivered: "
            f"{outcome.error}.",
            file=sys.stderr,
        )
        return 1
    return _list(args)


def _report(evaluation: alerts.Evaluation, delivery: alerts.Delivery) -> int:
    if evaluation.imports:
        print(
            f"Evaluated {len(evaluation.imports)} import(s): {len(evaluation.new)} new "
            f"episode(s), {len(evaluation.withdrawn)} withdrawn by a restatement."
        )
    print(
        f"{len(delivery.sent)} message(s) sent, {len(delivery.pending)} still pending, "
        f"{len(delivery.failed)} failed."
    )
    for episode_id, error in sorted(delivery.errors.items()):
        print(f"  episode #{episode_id}: {error}", file=sys.stderr)
    return 1 if delivery.pending or delivery.failed else 0


def _list(args: argparse.Namespace) -> int:
    rules = alerts.list_rules(args.db)
    episodes = alerts.recent_episodes(args.db, limit=args.limit)
    if args.format == "json":
        rules_rows = alerts.rules_frame(rules).to_dicts()
        shown = episodes.drop("explore_url").to_dicts() if episodes.height else []
        for row, episode in zip(shown, episodes.to_dicts(), strict=True):
            row["explore_url"] = episode["explore_url"]
        print(json.dumps({"rules": rules_rows, "episodes": shown}, default=str, indent=1))
        return 0
    if not rules:
        print("No alert rules. Add one with `installpulse alerts add` (see --help).")
    else:
        print("Rules")
        for r in rules:
            state = "enabled" if r.is_enabled else "disabled"
            made = f"{r.created_at:%Y-%m-%d %H:%M}" if r.created_at else "?"
            print(
                f"  #{r.rule_id}  {', '.join(r.apps)} {r.metric} ({r.slice_text()}): "
                f"{r.condition()} -> {alerts.webhook_host(r.webhook_url)}; {state}; "
                f"by {r.created_by} at {made}"
            )
    if episodes.height:
        print("Recent episodes (newest first)")
        for e in episodes.iter_rows(named=True):
            print(f"  #{e['episode_id']}  {e['status']:<9} rule #{e['rule_id']}  {e['sentence']}")
            print(f"        {e['explore_url']}")
            note = _note(e)
            if note:
                print(f"        {note}")
    return 0


def _note(e: dict[str, Any]) -> str:
    parts = []
    n = int(e["n_days"])
    parts.append(f"{e['start_date']} to {e['end_date']} ({n} day{'s' if n != 1 else ''})")
    if e["status"] == "sent" and e["sent_at"] is not None:
        parts.append(f"sent {e['sent_at']:%Y-%m-%d %H:%M} UTC")
    if e["status"] in ("pending", "failed") and e["last_error"]:
        parts.append(f"last error: {e['last_error']}")
    if e["status"] == "pending" and e["next_attempt_at"] is not None:
        parts.append(f"not before {e['next_attempt_at']:%Y-%m-%d %H:%M:%S} UTC (Retry-After)")
    if e["attempts"]:
        parts.append(f"{e['attempts']} attempt{'s' if e['attempts'] != 1 else ''}")
    if e["withdrawn_at"] is not None:
        parts.append(f"spike removed by the restatement in import #{e['withdrawn_by']}")
    return "; ".join(parts)


def register_alerts(
    sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "alerts",
        parents=[common],
        help="watch rules: a message to a webhook when a spike starts",
        description="Rules evaluated after every import and sync; one message per episode to a "
        "Slack-compatible webhook (see README, Alerts).",
    )
    a_sub = p.add_subparsers(dest="alerts_command")
    a = a_sub.add_parser(
        "add",
        parents=[common],
        help="add a rule",
        description="A rule fires on the robust spike score (--score 3.5) or on the change vs a "
        "baseline (--change 100%%, --baseline previous-day); write a fall as --change=-50%% "
        "or --direction down.",
    )
    a.add_argument("--app", action="append", required=True, metavar="NAME", help="repeatable")
    a.add_argument("--metric", required=True, metavar="NAME")
    a.add_argument("--country", action="append", metavar="CC", help="repeatable (summed)")
    a.add_argument("--platform", action="append", metavar="P", help="repeatable (summed)")
    how = a.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--score", type=_score, metavar="N", help="fire when |robust spike score| >= N"
    )
    how.add_argument("--change", metavar="P%", help="fire when the change reaches P%% (100%% = 2x)")
    a.add_argument("--direction", choices=("up", "down", "both"), help="default: both")
    a.add_argument(
        "--baseline",
        metavar="METHOD",
        help=f"{baselines.VALID_FORMS} (default previous-day): what --change is measured "
        "against, and the change the message quotes",
    )
    a.add_argument("--webhook", required=True, metavar="URL", help="a Slack-compatible webhook")
    a.add_argument("--by", metavar="NAME", help="who made the rule (default: the user name)")
    a = a_sub.add_parser("list", parents=[common], help="rules and recent episodes")
    a.add_argument("--limit", type=int, default=20, help="episodes shown (default 20)")
    a.add_argument("--format", choices=("table", "json"), default="table")
    a = a_sub.add_parser("remove", parents=[common], help="remove a rule")
    a.add_argument("rule_id", type=int, metavar="ID")
    a_sub.add_parser(
        "retry",
        parents=[common],
        help="evaluate imports not yet evaluated and send pending messages (exit 1 if any "
        "stay pending or failed)",
    )
    a = a_sub.add_parser("test", parents=[common], help="send a test message to a rule's webhook")
    a.add_argument("rule_id", type=int, metavar="ID")
    p.set_defaults(func=cmd_alerts, limit=20, format="table")


if register_alerts not in cli.EXTRA_COMMANDS:
    cli.EXTRA_COMMANDS.append(register_alerts)
