"""Build installpulse's SYNTHETIC, illustrative demo dataset (data/demo/*.csv).

Why this exists
---------------
A newcomer should see installpulse working at once, on a story they may have read about: the
early-March 2026 coverage of ChatGPT uninstalls and Claude downloads around OpenAI's agreement
with the US Department of Defense ("Department of War"). The real app-intelligence series
(Sensor Tower, Appfigures) are not ours to ship and their absolute levels were never published, so
this script invents every number. It is calibrated so that installpulse's own methods reproduce
each published percentage exactly, to the published precision (see the product brief,
PRODUCT.md, and data/demo/README.md). Nothing here is real data.

How the calibration works
-------------------------
1. Every series (app x country x metric, summed over iOS+Android) is a smooth log-linear trend
   between a few knots, times a mild weekly pattern, times launch-like bumps, times seeded
   log-normal noise. Totals are rounded to integers and then split into iOS and Android with a
   slowly wandering share (``ios = round(total * share)``, ``android = total - ios``), so the
   US iOS+Android sums the figures use are exactly the totals decided here.
2. The story days are pinned to exact integers chosen so each published day-over-day figure is
   the centre of its rounding interval, never a knife-edge: e.g. ChatGPT US uninstalls 3,200 ->
   12,640 is exactly 3.95x (+295%); ChatGPT US downloads 150,000 -> 171,000 -> 148,770 ->
   141,332 are +14%, -13%, -5.0%; Claude US downloads 80,000 -> 109,600 -> 165,496 are
   +37%, +51%.
3. The "typical ~9%" (mean absolute day-over-day change of ChatGPT US uninstalls over the 30
   pairs before 2026-02-28) is hit by choosing the noise scale of that series on a fine grid so
   the statistic lands within 0.05 points of 9.00%.
4. The month year-over-year figures (+413% March, +132% April 2026) are hit by solving the
   amplitude A and decay rate k of the post-spike excess ``A * exp(-k * days since 03-02)`` so
   the March and April 2026 sums equal round(5.13 x March 2025) and round(2.32 x April 2025),
   then putting the few units of rounding residue on single days.
5. ``verify()`` recomputes every figure from the written frame and refuses to write otherwise.

Determinism: one seed, pure Python arithmetic (our own Box-Muller on ``random.Random.random``,
seeds derived with SHA-256, never ``hash()``), rows sorted before writing. Running it twice gives
byte-identical files.

Usage: ``python data/demo/build_demo.py [OUTPUT_DIR]`` (default: this file's directory).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

SEED = 20260228
SOURCE = "demo"
START = dt.date(2025, 1, 1)
END = dt.date(2026, 4, 30)
DAYS: list[dt.date] = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
IDX: dict[dt.date, int] = {d: i for i, d in enumerate(DAYS)}

APPS = ["ChatGPT", "Claude", "Gemini", "Copilot", "Perplexity"]
PLATFORMS = ["android", "ios"]
COUNTRIES = ["US", "GB", "DE", "IN", "BR"]
US_ONLY_METRICS = ["installs", "one_star_reviews"]  # kept to the US to keep the file small
ALL_COUNTRY_METRICS = ["downloads", "uninstalls"]

# ---------------------------------------------------------------------------------------------
# Published figures (PRODUCT.md). The story values below are the exact integers behind them.
# ---------------------------------------------------------------------------------------------
D = dt.date
CHATGPT_US_UNINSTALLS_PINNED = {
    D(2026, 2, 27): 3_200,  # Friday, before the late-evening announcement
    D(2026, 2, 28): 12_640,  # 12,640 / 3,200 = 3.95x  -> +295% day over day
    D(2026, 3, 1): 11_970,  # the boycott stays elevated
    D(2026, 3, 2): 11_240,  # Monday: the spike is reported in the press
}
CHATGPT_US_DOWNLOADS_PINNED = {
    D(2026, 2, 26): 150_000,
    D(2026, 2, 27): 171_000,  # x1.14 -> +14%
    D(2026, 2, 28): 148_770,  # x0.87 -> -13%
    D(2026, 3, 1): 141_332,  # x0.950003 -> -5%
}
CLAUDE_US_DOWNLOADS_PINNED = {
    D(2026, 2, 26): 80_000,
    D(2026, 2, 27): 109_600,  # x1.37 -> +37%
    D(2026, 2, 28): 165_496,  # x1.51 -> +51%, first day above ChatGPT (148,770)
}
CHATGPT_US_ONE_STAR_PINNED = {
    D(2026, 2, 27): 160,
    D(2026, 2, 28): 1_400,  # x8.75 -> +775%
    D(2026, 3, 1): 2_800,  # x2.00 -> +100%
}
TYPICAL_DOD_TARGET = 0.0900  # ChatGPT US uninstalls, 30 pairs before 2026-02-28
MARCH_YOY_RATIO = 5.13  # +413%
APRIL_YOY_RATIO = 2.32  # +132%

# ---------------------------------------------------------------------------------------------
# Shape parameters (all invented). Levels are US totals (iOS + Android) per day.
# ---------------------------------------------------------------------------------------------
LEVELS: dict[tuple[str, str], list[tuple[dt.date, float]]] = {
    ("ChatGPT", "downloads"): [
        (D(2025, 1, 1), 118_000),
        (D(2025, 7, 1), 132_000),
        (D(2026, 1, 1), 145_000),
        (D(2026, 4, 30), 150_000),
    ],
    ("Claude", "downloads"): [
        (D(2025, 1, 1), 15_000),
        (D(2025, 6, 1), 24_000),
        (D(2025, 12, 1), 46_000),
        (D(2026, 2, 15), 60_000),
        (D(2026, 4, 30), 64_000),
    ],
    ("Gemini", "downloads"): [(D(2025, 1, 1), 45_000), (D(2026, 4, 30), 82_000)],
    ("Copilot", "downloads"): [(D(2025, 1, 1), 26_000), (D(2026, 4, 30), 30_000)],
    ("Perplexity", "downloads"): [
        (D(2025, 1, 1), 12_000),
        (D(2025, 9, 1), 19_000),
        (D(2026, 4, 30), 22_000),
    ],
    ("ChatGPT", "uninstalls"): [
        (D(2025, 1, 1), 1_100),
        (D(2025, 3, 20), 1_200),
        (D(2025, 12, 1), 2_700),
        (D(2026, 2, 20), 3_000),
        (D(2026, 4, 30), 3_080),
    ],
    ("Claude", "uninstalls"): [
        (D(2025, 1, 1), 520),
        (D(2026, 2, 15), 1_500),
        (D(2026, 4, 30), 1_600),
    ],
    ("Gemini", "uninstalls"): [(D(2025, 1, 1), 900), (D(2026, 4, 30), 1_700)],
    ("Copilot", "uninstalls"): [(D(2025, 1, 1), 700), (D(2026, 4, 30), 820)],
    ("Perplexity", "uninstalls"): [(D(2025, 1, 1), 330), (D(2026, 4, 30), 640)],
    ("ChatGPT", "one_star_reviews"): [(D(2025, 1, 1), 110), (D(2026, 4, 30), 160)],
    ("Claude", "one_star_reviews"): [(D(2025, 1, 1), 14), (D(2026, 4, 30), 45)],
    ("Gemini", "one_star_reviews"): [(D(2025, 1, 1), 60), (D(2026, 4, 30), 80)],
    ("Copilot", "one_star_reviews"): [(D(2025, 1, 1), 38), (D(2026, 4, 30), 42)],
    ("Perplexity", "one_star_reviews"): [(D(2025, 1, 1), 11), (D(2026, 4, 30), 20)],
}
# Multiplier per weekday (Mon..Sun): people install more at weekends, uninstall more on Mondays.
WEEKLY = {
    "downloads": [0.98, 0.97, 0.98, 0.99, 1.01, 1.04, 1.03],
    "uninstalls": [1.05, 1.03, 1.00, 0.98, 0.97, 0.97, 1.00],
    "one_star_reviews": [1.04, 1.02, 1.00, 0.99, 0.98, 0.98, 0.99],
}
SIGMA = {"downloads": 0.025, "uninstalls": 0.08, "one_star_reviews": 0.10}
# Country size relative to the US, and each app's tilt there.
COUNTRY_SCALE = {"US": 1.0, "GB": 0.11, "DE": 0.085, "IN": 0.60, "BR": 0.28}
COUNTRY_APP_TILT = {
    ("Gemini", "IN"): 1.5,
    ("Gemini", "BR"): 1.3,
    ("Claude", "IN"): 0.7,
    ("Copilot", "DE"): 1.2,
    ("Perplexity", "IN"): 1.3,
}
UNINSTALL_COUNTRY_TILT = {"IN": 1.25, "BR": 1.1}
# iOS share of the total, per app (US) and per country (multiplied, then clipped).
IOS_SHARE_APP = {
    "ChatGPT": 0.57,
    "Claude": 0.66,
    "Gemini": 0.36,
    "Copilot": 0.46,
    "Perplexity": 0.55,
}
IOS_SHARE_COUNTRY = {"US": 1.0, "GB": 0.95, "DE": 0.75, "IN": 0.14, "BR": 0.3}
INSTALLS_PER_DOWNLOAD = {"ios": 1.30, "android": 1.18}  # installs include re-downloads


def bump(start: dt.date, amp: float, rise: int, tau: float) -> Callable[[dt.date], float]:
    """A launch-like bump: linear rise to +amp over `rise` days, then exponential decay."""

    def f(d: dt.date) -> float:
        t = (d - start).days
        if t < 0:
            return 0.0
        if t < rise:
            return amp * (t + 1) / rise
        return amp * math.exp(-(t - rise + 1) / tau)

    return f


# Context bumps (see events.csv): multipliers 1 + sum(bumps), for every country.
BUMPS: dict[tuple[str, str], list[Callable[[dt.date], float]]] = {
    ("ChatGPT", "downloads"): [bump(D(2025, 3, 26), 0.45, 4, 12.0)],  # image generation
    ("ChatGPT", "uninstalls"): [bump(D(2025, 4, 1), 0.22, 6, 24.0)],  # churn of those newcomers
    ("Claude", "downloads"): [bump(D(2025, 5, 22), 0.35, 2, 9.0)],  # Claude 4 models
    ("Gemini", "downloads"): [bump(D(2025, 8, 27), 1.10, 16, 18.0)],  # image model
    ("Gemini", "uninstalls"): [bump(D(2025, 9, 15), 0.40, 10, 20.0)],
}
# Genuinely missing days (rows absent, not zeros): context apps, non-US countries only.
MISSING: list[tuple[str, str, str, str, dt.date, dt.date]] = [
    ("Perplexity", "android", "IN", "downloads", D(2025, 6, 10), D(2025, 6, 12)),
    ("Gemini", "ios", "DE", "uninstalls", D(2025, 11, 3), D(2025, 11, 3)),
    ("Copilot", "android", "BR", "downloads", D(2025, 9, 14), D(2025, 9, 15)),
    ("Copilot", "android", "BR", "uninstalls", D(2025, 9, 14), D(2025, 9, 15)),
    ("Perplexity", "ios", "GB", "uninstalls", D(2026, 1, 19), D(2026, 1, 19)),
]


# ---------------------------------------------------------------------------------------------
# Deterministic helpers
# ---------------------------------------------------------------------------------------------
def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def rng_for(*parts: str) -> random.Random:
    digest = hashlib.sha256("|".join((str(SEED), *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def normals(rng: random.Random, n: int) -> list[float]:
    """Standard normals via Box-Muller on rng.random() (stable across Python versions)."""
    out: list[float] = []
    while len(out) < n:
        u1 = 1.0 - rng.random()  # (0, 1]
        u2 = rng.random()
        r = math.sqrt(-2.0 * math.log(u1))
        out.extend((r * math.cos(2 * math.pi * u2), r * math.sin(2 * math.pi * u2)))
    return out[:n]


def trend(knots: Sequence[tuple[dt.date, float]], d: dt.date) -> float:
    """Log-linear interpolation between knots, flat outside them."""
    if d <= knots[0][0]:
        return knots[0][1]
    for (d0, v0), (d1, v1) in itertools.pairwise(knots):
        if d <= d1:
            w = (d - d0).days / (d1 - d0).days
            return math.exp(math.log(v0) * (1 - w) + math.log(v1) * w)
    return knots[-1][1]


def days_since(d: dt.date, ref: dt.date) -> int:
    return (d - ref).days


# ---------------------------------------------------------------------------------------------
# Series (totals: iOS + Android) before any story override
# ---------------------------------------------------------------------------------------------
def base_and_multiplier(app: str, country: str, metric: str) -> tuple[list[float], list[float]]:
    """Expected level (trend x country x bumps) and the weekly x noise multiplier, per day."""
    scale = COUNTRY_SCALE[country] * COUNTRY_APP_TILT.get((app, country), 1.0)
    if metric == "uninstalls":
        scale *= UNINSTALL_COUNTRY_TILT.get(country, 1.0)
    knots = LEVELS[(app, metric)]
    bumps = BUMPS.get((app, metric), [])
    z = normals(rng_for(app, country, metric, "noise"), len(DAYS))
    sigma = SIGMA[metric]
    base, mult = [], []
    for i, d in enumerate(DAYS):
        base.append(trend(knots, d) * scale * (1.0 + sum(b(d) for b in bumps)))
        mult.append(WEEKLY[metric][d.weekday()] * math.exp(sigma * z[i] - sigma * sigma / 2))
    return base, mult


def story_multiplier(app: str, country: str, metric: str, d: dt.date) -> float:
    """The Feb/Mar 2026 story outside the pinned days (US strongest, an echo elsewhere)."""
    echo = {"US": 1.0, "GB": 0.35, "DE": 0.3, "IN": 0.08, "BR": 0.1}[country]
    t = days_since(d, D(2026, 2, 28))
    if app == "Claude" and metric == "downloads":
        pre = {
            D(2026, 2, 24): 0.07,
            D(2026, 2, 25): 0.17,
            D(2026, 2, 26): 0.33,
            D(2026, 2, 27): 1.0,
        }.get(d, 0.0)
        if t < 0:
            return 1.0 + echo * pre
        return 1.0 + echo * (0.25 * (1 - math.exp(-t / 6)) + 1.65 * math.exp(-t / 11))
    if app == "Claude" and metric == "uninstalls" and t >= 0:  # newcomers who try and leave
        ramp = {0: 0.25, 1: 0.9}.get(t, 1.2 * math.exp(-(t - 2) / 10))
        return 1.0 + echo * ramp
    if app == "Claude" and metric == "one_star_reviews" and t >= 0:
        return 1.0 + echo * 1.5 * math.exp(-t / 5)
    if app == "ChatGPT" and metric == "downloads" and t >= 0:
        return 1.0 - echo * 0.07 * math.exp(-t / 10)
    if app == "ChatGPT" and metric == "uninstalls" and t >= 0:
        return 1.0 + echo * 2.2 * math.exp(-t / 6)
    if app == "ChatGPT" and metric == "one_star_reviews" and t >= 0:
        return 1.0 + echo * 17.0 * math.exp(-max(t - 1, 0) / 4)
    return 1.0


def generic_series(app: str, country: str, metric: str) -> list[int]:
    base, mult = base_and_multiplier(app, country, metric)
    return [
        max(0, round_half_up(base[i] * mult[i] * story_multiplier(app, country, metric, d)))
        for i, d in enumerate(DAYS)
    ]


def pin(values: list[int], pinned: dict[dt.date, int]) -> list[int]:
    out = list(values)
    for d, v in pinned.items():
        out[IDX[d]] = v
    return out


def mean_abs_dod(values: Sequence[int], d: dt.date) -> float:
    i = IDX[d]
    return sum(abs(values[t] / values[t - 1] - 1) for t in range(i - 30, i)) / 30


def chatgpt_us_uninstalls() -> tuple[list[int], dict[str, float]]:
    """ChatGPT US uninstalls, calibrated for the typical change and both month YoY figures."""
    base, _ = base_and_multiplier("ChatGPT", "US", "uninstalls")
    z = normals(rng_for("ChatGPT", "US", "uninstalls", "noise"), len(DAYS))
    weekly = [WEEKLY["uninstalls"][d.weekday()] for d in DAYS]

    def mult(sigma: float) -> list[float]:
        return [weekly[i] * math.exp(sigma * z[i] - sigma * sigma / 2) for i in range(len(DAYS))]

    def pre_story(sigma: float) -> list[int]:
        m = mult(sigma)
        return pin(
            [round_half_up(base[i] * m[i]) for i in range(len(DAYS))], CHATGPT_US_UNINSTALLS_PINNED
        )

    # 1. Noise scale: closest point of a 0.0005 grid to the typical-change target.
    spike = D(2026, 2, 28)
    grid = [k * 0.0005 for k in range(1, 501)]

    def miss(s: float) -> tuple[float, float]:
        return abs(mean_abs_dod(pre_story(s), spike) - TYPICAL_DOD_TARGET), s

    sigma = min(grid, key=miss)
    values = pre_story(sigma)
    typical = mean_abs_dod(values, spike)
    if abs(typical - TYPICAL_DOD_TARGET) > 0.0005:
        raise RuntimeError(f"typical change calibration missed: {typical:.5f}")

    # 2. Post-spike excess A*exp(-k*(t - 03-02)) for 03-03 .. 04-30, solved for both month sums.
    m = mult(sigma)
    t0 = D(2026, 3, 2)
    march = [d for d in DAYS if d.year == 2026 and d.month == 3 and d > t0]
    april = [d for d in DAYS if d.year == 2026 and d.month == 4]
    s_mar25 = sum(values[IDX[d]] for d in DAYS if d.year == 2025 and d.month == 3)
    s_apr25 = sum(values[IDX[d]] for d in DAYS if d.year == 2025 and d.month == 4)
    target_mar = round_half_up(MARCH_YOY_RATIO * s_mar25)
    target_apr = round_half_up(APRIL_YOY_RATIO * s_apr25)
    pinned_mar = sum(v for d, v in CHATGPT_US_UNINSTALLS_PINNED.items() if d.month == 3)
    need_mar = target_mar - pinned_mar - sum(base[IDX[d]] * m[IDX[d]] for d in march)
    need_apr = target_apr - sum(base[IDX[d]] * m[IDX[d]] for d in april)
    if need_mar <= 0 or need_apr <= 0:
        raise RuntimeError("month YoY calibration needs a positive post-spike excess")

    def shape(days: list[dt.date], k: float) -> float:
        return sum(m[IDX[d]] * math.exp(-k * days_since(d, t0)) for d in days)

    lo, hi = 1e-4, 2.0  # ratio april/march of the excess falls as k grows
    for _ in range(200):
        k = (lo + hi) / 2
        if shape(april, k) / shape(march, k) > need_apr / need_mar:
            lo = k
        else:
            hi = k
    k = (lo + hi) / 2
    amp = need_mar / shape(march, k)
    for d in march + april:
        i = IDX[d]
        values[i] = round_half_up((base[i] + amp * math.exp(-k * days_since(d, t0))) * m[i])
    # 3. Rounding residue (a few units) goes on the month's last day.
    for days, target in ((march, target_mar - pinned_mar), (april, target_apr)):
        values[IDX[days[-1]]] += target - sum(values[IDX[d]] for d in days)
    info = {
        "sigma": sigma,
        "typical": typical,
        "excess_amplitude": amp,
        "excess_k": k,
        "mar25": s_mar25,
        "apr25": s_apr25,
        "mar26": target_mar,
        "apr26": target_apr,
    }
    return values, info


# ---------------------------------------------------------------------------------------------
# Platform split and the long frame
# ---------------------------------------------------------------------------------------------
def ios_shares(app: str, country: str, metric: str) -> list[float]:
    base = IOS_SHARE_APP[app] * IOS_SHARE_COUNTRY[country]
    base += {"uninstalls": 0.01, "one_star_reviews": 0.03}.get(metric, 0.0)
    z = normals(rng_for(app, country, metric, "share"), len(DAYS))
    shares, drift = [], 0.0
    for i in range(len(DAYS)):
        drift = 0.97 * drift + 0.004 * z[i]  # slowly wandering, mean-reverting
        shares.append(min(0.92, max(0.04, base + drift)))
    return shares


def split(app: str, country: str, metric: str, totals: list[int]) -> dict[str, list[int]]:
    shares = ios_shares(app, country, metric)
    ios = [round_half_up(t * s) for t, s in zip(totals, shares, strict=True)]
    return {"ios": ios, "android": [t - i for t, i in zip(totals, ios, strict=True)]}


def installs_from_downloads(app: str, platform: str, downloads: list[int]) -> list[int]:
    z = normals(rng_for(app, "US", platform, "installs"), len(DAYS))
    r = INSTALLS_PER_DOWNLOAD[platform]
    return [round_half_up(v * r * math.exp(0.03 * z[i])) for i, v in enumerate(downloads)]


def build_frames() -> tuple[pl.DataFrame, dict[str, float]]:
    info: dict[str, float] = {}
    totals: dict[tuple[str, str, str], list[int]] = {}
    for app in APPS:
        for country in COUNTRIES:
            metrics = ALL_COUNTRY_METRICS + (["one_star_reviews"] if country == "US" else [])
            for metric in metrics:
                totals[(app, country, metric)] = generic_series(app, country, metric)
    totals[("ChatGPT", "US", "uninstalls")], info = chatgpt_us_uninstalls()
    for key, pinned in (
        (("ChatGPT", "US", "downloads"), CHATGPT_US_DOWNLOADS_PINNED),
        (("Claude", "US", "downloads"), CLAUDE_US_DOWNLOADS_PINNED),
        (("ChatGPT", "US", "one_star_reviews"), CHATGPT_US_ONE_STAR_PINNED),
    ):
        totals[key] = pin(totals[key], pinned)

    missing = {(a, p, c, m, d) for a, p, c, m, d0, d1 in MISSING for d in DAYS if d0 <= d <= d1}
    cols: dict[str, list] = {
        k: [] for k in ("date", "app", "platform", "country", "metric", "value")
    }

    def emit(app: str, platform: str, country: str, metric: str, values: list[int]) -> None:
        for d, v in zip(DAYS, values, strict=True):
            if (app, platform, country, metric, d) in missing:
                continue
            cols["date"].append(d.isoformat())
            cols["app"].append(app)
            cols["platform"].append(platform)
            cols["country"].append(country)
            cols["metric"].append(metric)
            cols["value"].append(v)

    for (app, country, metric), series in totals.items():
        parts = split(app, country, metric, series)
        for platform in PLATFORMS:
            emit(app, platform, country, metric, parts[platform])
            if country == "US" and metric == "downloads":
                emit(
                    app,
                    platform,
                    country,
                    "installs",
                    installs_from_downloads(app, platform, parts[platform]),
                )

    frame = (
        pl.DataFrame(
            cols,
            schema={
                "date": pl.String,
                "app": pl.String,
                "platform": pl.String,
                "country": pl.String,
                "metric": pl.String,
                "value": pl.Int64,
            },
        )
        .with_columns(pl.lit(SOURCE).alias("source"))
        .sort(["date", "app", "platform", "country", "metric"])
    )
    return frame, info


# ---------------------------------------------------------------------------------------------
# Self-check: the published figures, recomputed from the frame about to be written
# ---------------------------------------------------------------------------------------------
def us_total(frame: pl.DataFrame, app: str, metric: str) -> dict[str, int]:
    rows = (
        frame.filter(
            (pl.col("app") == app) & (pl.col("country") == "US") & (pl.col("metric") == metric)
        )
        .group_by("date")
        .agg(pl.col("value").sum())
        .sort("date")
    )
    return dict(zip(rows["date"].to_list(), rows["value"].to_list(), strict=True))


def verify(frame: pl.DataFrame) -> None:
    def ratio(s: dict[str, int], d: str) -> float:
        prev = (dt.date.fromisoformat(d) - dt.timedelta(days=1)).isoformat()
        return s[d] / s[prev]

    def pct(r: float) -> int:  # round half away from zero
        x = 100 * (r - 1)
        return int(math.copysign(math.floor(abs(x) + 0.5), x))

    gpt_u = us_total(frame, "ChatGPT", "uninstalls")
    gpt_d = us_total(frame, "ChatGPT", "downloads")
    cl_d = us_total(frame, "Claude", "downloads")
    gpt_1 = us_total(frame, "ChatGPT", "one_star_reviews")
    checks = {
        "uninstalls +295%": pct(ratio(gpt_u, "2026-02-28")) == 295
        and round(ratio(gpt_u, "2026-02-28"), 2) == 3.95,
        "downloads +14%": pct(ratio(gpt_d, "2026-02-27")) == 14,
        "downloads -13%": pct(ratio(gpt_d, "2026-02-28")) == -13,
        "downloads -5%": pct(ratio(gpt_d, "2026-03-01")) == -5,
        "claude +37%": pct(ratio(cl_d, "2026-02-27")) == 37,
        "claude +51%": pct(ratio(cl_d, "2026-02-28")) == 51,
        "one-star +775%": pct(ratio(gpt_1, "2026-02-28")) == 775,
        "one-star +100%": pct(ratio(gpt_1, "2026-03-01")) == 100,
        "claude first above": min(d for d in cl_d if cl_d[d] > gpt_d[d]) == "2026-02-28",
    }
    dates = sorted(gpt_u)
    i = dates.index("2026-02-28")
    typical = sum(abs(gpt_u[dates[t]] / gpt_u[dates[t - 1]] - 1) for t in range(i - 30, i)) / 30
    checks["typical 9%"] = abs(typical - 0.09) < 0.001

    def month(s: dict[str, int], prefix: str) -> int:
        return sum(v for d, v in s.items() if d.startswith(prefix))

    checks["march yoy +413%"] = pct(month(gpt_u, "2026-03") / month(gpt_u, "2025-03")) == 413
    checks["april yoy +132%"] = pct(month(gpt_u, "2026-04") / month(gpt_u, "2025-04")) == 132
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise RuntimeError(f"demo calibration failed: {failed}")
    if frame["value"].min() < 0:
        raise RuntimeError("negative value")


# ---------------------------------------------------------------------------------------------
# Side files
# ---------------------------------------------------------------------------------------------
APPS_ROWS = [
    ("com.openai.chatgpt", "android", "ChatGPT"),
    ("6448311069", "ios", "ChatGPT"),
    ("com.anthropic.claude", "android", "Claude"),
    ("6473753684", "ios", "Claude"),
    ("com.google.android.apps.bard", "android", "Gemini"),
    ("6477489729", "ios", "Gemini"),
    ("com.microsoft.copilot", "android", "Copilot"),
    ("6472538445", "ios", "Copilot"),
    ("ai.perplexity.app.android", "android", "Perplexity"),
    ("1668000334", "ios", "Perplexity"),
]

EVENTS_ROWS = [
    (
        "2025-03-25",
        None,
        "ChatGPT adds native image generation",
        "OpenAI makes image generation with GPT-4o available in ChatGPT; a wave of stylised images "
        "spreads on social media in the following days.",
        "launch;openai;context",
        "ChatGPT",
    ),
    (
        "2025-05-22",
        None,
        "Anthropic releases Claude 4 models",
        "Anthropic releases Claude Opus 4 and Claude Sonnet 4.",
        "launch;anthropic;context",
        "Claude",
    ),
    (
        "2025-08-26",
        None,
        "Google releases a new Gemini image model",
        "Google adds Gemini 2.5 Flash Image to the Gemini app; the app climbs the download charts "
        "in the following weeks.",
        "launch;google;context",
        "Gemini",
    ),
    (
        "2026-02-24",
        None,
        "Defense Secretary meets Anthropic's CEO",
        "The US Defense Secretary meets Anthropic's chief executive about the terms under which "
        "the military may use Claude.",
        "policy;defense;anthropic",
        "Claude",
    ),
    (
        "2026-02-26",
        None,
        "Anthropic publishes its refusal (night)",
        "Late in the evening Anthropic states that it will not accept terms allowing mass domestic "
        "surveillance or fully autonomous weapons.",
        "policy;defense;anthropic",
        "Claude",
    ),
    (
        "2026-02-27",
        None,
        "Federal stop order and supply-chain-risk designation",
        "The President orders federal agencies to stop using Anthropic's products; the Pentagon "
        "designates Anthropic a supply-chain risk.",
        "policy;government;anthropic",
        "Claude",
    ),
    (
        "2026-02-27",
        None,
        "OpenAI announces agreement with the Department of War (late evening)",
        "Late in the evening OpenAI announces an agreement with the US Department of Defense, "
        "styled the Department of War, for use of its models.",
        "policy;defense;openai",
        "ChatGPT",
    ),
    (
        "2026-03-02",
        None,
        "ChatGPT uninstall spike reported",
        "Press coverage citing Sensor Tower estimates reports that ChatGPT's US uninstalls rose "
        "295% day over day on Saturday 2026-02-28 and that Claude's US downloads rose on "
        "02-27 and 02-28.",
        "press;uninstalls",
        "ChatGPT;Claude",
    ),
    (
        "2026-03-03",
        None,
        "Altman posts amended terms",
        "Sam Altman posts amended terms excluding intentional use for domestic surveillance of US "
        "persons and says the announcement was rushed.",
        "policy;defense;openai",
        "ChatGPT",
    ),
    (
        "2026-03-02",
        None,
        "Claude opens conversation memory to all users (date approximate)",
        "Anthropic makes Claude's conversation memory available to all users, including the free "
        "tier, around the same days. The exact date is approximate.",
        "launch;anthropic;approximate",
        "Claude",
    ),
]


def write_all(out_dir: Path) -> tuple[pl.DataFrame, dict[str, float]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    frame, info = build_frames()
    verify(frame)
    frame.write_csv(out_dir / "observations.csv", line_terminator="\n")
    pl.DataFrame(APPS_ROWS, schema=["store_id", "platform", "app"], orient="row").write_csv(
        out_dir / "apps.csv", line_terminator="\n"
    )
    events = pl.DataFrame(
        EVENTS_ROWS,
        orient="row",
        schema=["start_date", "end_date", "title", "description", "tags", "apps"],
    ).sort(["start_date", "title"])
    events.write_csv(out_dir / "events.csv", line_terminator="\n")
    return frame, info


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    frame, info = write_all(out_dir)
    print(f"wrote {frame.height} observations to {out_dir}")
    for key, value in info.items():
        print(f"  {key}: {value:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
