"""Deterministic, realistic install/uninstall series for the benchmarks.

Writes, into ``--out DIR``:

* ``long.csv``  - installpulse generic long CSV, header exactly
  ``date,app,platform,country,metric,value,source`` (metrics ``installs`` and ``uninstalls``,
  source ``bench``); a missing observation is an absent row.
* ``wide.csv``  - ``date,app,platform,country,installs,uninstalls`` with the same values; a missing
  observation is an empty cell, a day missing for both metrics is an absent row.
* ``truth.json`` - what was injected (spikes, outages) and the exact row counts. Deterministic.
* ``manifest.json`` - sizes in bytes and generation time (not deterministic).

Model per series (app x country x metric), all multiplicative around a log-normal per-app level:
country share, log-linear trend, a slow random-walk drift, weekly seasonality (per-app weekend
effect), a mild yearly (December) seasonality, log-normal plus count (sqrt) noise, injected spikes
(promotions on installs, bad releases on uninstalls), and gaps: single missing days, single missing
metrics and multi-day per-app outages. Spike days are never missing.

Determinism: per-app parameters come from ``random.Random(seed)`` drawn in app order up front; the
per-row noise is a splitmix64 hash of (seed, stream, app, country, day) computed with polars UInt64
wrapping arithmetic. Nothing depends on the batch size, so output bytes depend only on the
parameters. Memory is bounded by one batch of apps (about 250k app-country-days).

Usage: ``python -m benchmarks.generate --size S --out benchmarks/data/S``
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

END_DATE = date(2026, 4, 30)
DEFAULT_SEED = 20260430
METRICS = ("installs", "uninstalls")
LONG_HEADER = "date,app,platform,country,metric,value,source"
WIDE_HEADER = "date,app,platform,country,installs,uninstalls"
SOURCE = "bench"


@dataclass(frozen=True)
class Size:
    apps: int
    days: int
    countries: int

    @property
    def full_long_rows(self) -> int:
        return self.apps * self.days * self.countries * len(METRICS)


SIZES: dict[str, Size] = {
    "tiny": Size(apps=5, days=60, countries=2),
    "S": Size(apps=200, days=730, countries=5),
    "L": Size(apps=2_000, days=1_095, countries=10),
}

# (country, relative market weight); the first N are used.
COUNTRIES: tuple[tuple[str, float], ...] = (
    ("US", 30),
    ("GB", 8),
    ("DE", 8),
    ("FR", 6),
    ("JP", 9),
    ("BR", 7),
    ("IN", 10),
    ("CA", 4),
    ("AU", 3),
    ("KR", 4),
    ("MX", 3),
    ("ES", 3),
    ("IT", 3),
    ("NL", 2),
    ("SE", 1),
    ("TR", 2),
    ("ID", 3),
    ("PL", 2),
    ("TW", 1),
    ("ZA", 1),
)

# Gaps (per app-country-day unless stated).
P_DAY_MISSING = 0.02  # both metrics absent
P_UNINSTALLS_MISSING = 0.012  # only uninstalls absent
P_INSTALLS_MISSING = 0.004  # only installs absent
P_APP_OUTAGE = 0.15  # per app: one run of 2-7 days absent in every country
DRIFT_SIGMA = 0.008  # daily step of the log random-walk drift
# a spike adds at least (m - 1) * SPIKE_FLOOR to the mean (so it is visible on tiny series)
SPIKE_FLOOR = 5.0
ROWS_PER_BATCH = 250_000  # app-country-days per batch (bounds memory: about 0.4 GB)

# ----------------------------------------------------------------------------- hashing
_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
# Noise streams: each gives one uniform per app-country-day.
STREAMS = (
    "n_inst_a",
    "n_inst_b",
    "n_uni_a",
    "n_uni_b",
    "n_rw_a",
    "n_rw_b",
    "miss_day",
    "miss_metric",
)


def mix64(x: int) -> int:
    """splitmix64 finaliser (pure Python reference)."""
    z = (x + _GOLDEN) & _M64
    z = ((z ^ (z >> 30)) * _C1) & _M64
    z = ((z ^ (z >> 27)) * _C2) & _M64
    return z ^ (z >> 31)


def _u64(v: int) -> pl.Expr:
    return pl.lit(v, dtype=pl.UInt64)


def mix64_expr(x: pl.Expr) -> pl.Expr:
    """splitmix64 finaliser on a UInt64 expression (polars integer arithmetic wraps)."""
    z = x + _u64(_GOLDEN)
    z = z.xor(z // _u64(1 << 30)) * _u64(_C1)
    z = z.xor(z // _u64(1 << 27)) * _u64(_C2)
    return z.xor(z // _u64(1 << 31))


def _series_base(seed: int, stream: int, app: int, country: int) -> int:
    h = mix64(seed & _M64)
    h = mix64(h ^ stream)
    h = mix64(h ^ app)
    return mix64(h ^ country)


def _uniform(base_col: str, open_zero: bool = False) -> pl.Expr:
    """Uniform in [0, 1) (or (0, 1) with open_zero) from a per-series base and the day index."""
    z = mix64_expr(pl.col(base_col) + pl.col("d").cast(pl.UInt64) * _u64(_GOLDEN))
    top = (z // _u64(1 << 11)).cast(pl.Float64)
    if open_zero:
        top = top + 0.5
    return top * (1.0 / (1 << 53))


def _normal_pair(a: str, b: str) -> tuple[pl.Expr, pl.Expr]:
    r = (-2.0 * _uniform(a, open_zero=True).log()).sqrt()
    theta = 2.0 * math.pi * _uniform(b)
    return r * theta.cos(), r * theta.sin()


# ----------------------------------------------------------------------------- parameters
def _app_name(i: int) -> str:
    return f"bench-app-{i:04d}"


def _platform(i: int) -> str:
    return "ios" if i % 2 == 0 else "android"


def draw_parameters(size: Size, seed: int) -> dict:
    """All per-app parameters, spikes and outages, drawn in app order from one seeded RNG."""
    if size.countries > len(COUNTRIES):
        raise ValueError(f"at most {len(COUNTRIES)} countries")
    rng = random.Random(seed)
    countries = COUNTRIES[: size.countries]
    days = size.days
    start = END_DATE - timedelta(days=days - 1)
    apps, spikes, outages = [], [], []
    lookback = min(35, days // 3)
    for i in range(size.apps):
        level = 200.0 * math.exp(rng.gauss(0.0, 1.4))
        raw = [w * math.exp(rng.gauss(0.0, 0.6)) for _, w in countries]
        shares = [r / sum(raw) for r in raw]
        weekend = rng.uniform(-0.3, 0.4)
        dow = [
            (1.0 + (weekend if k >= 5 else 0.0)) * (1.0 + rng.uniform(-0.04, 0.04))
            for k in range(7)
        ]
        app = {
            "app_idx": i,
            "app": _app_name(i),
            "platform": _platform(i),
            "level": level,
            "growth": rng.uniform(-0.5, 1.2),  # log change per year
            "year_amp": rng.uniform(0.0, 0.25),
            "uninstall_ratio": rng.uniform(0.15, 0.6),
            "sigma": rng.uniform(0.08, 0.25),
            "shares": shares,
            "dow": dow,
        }
        apps.append(app)

        # Spikes: 1 + up to ~2 per year, after a baseline look-back, not overlapping each other.
        n_spikes = 1 + rng.randrange(max(1, round(days / 365 * 2)) + 1)
        taken: list[tuple[int, int]] = []
        for _ in range(n_spikes):
            for _try in range(20):
                metric = "installs" if rng.random() < 0.8 else "uninstalls"
                n_days = rng.randint(1, 3)
                first = rng.randint(lookback, max(lookback, days - n_days))
                scope_all = rng.random() < 0.5
                country_i = rng.randrange(len(countries))
                mult = rng.uniform(3.0, 10.0) if metric == "installs" else rng.uniform(3.0, 6.0)
                if all(abs(first - s) > 10 for s, _ in taken):
                    break
            else:
                continue
            taken.append((first, n_days))
            factors = [round(1.0 + (mult - 1.0) * 0.5**k, 6) for k in range(n_days)]
            spikes.append(
                {
                    "app": app["app"],
                    "app_idx": i,
                    "platform": app["platform"],
                    "metric": metric,
                    "countries": [c for c, _ in countries]
                    if scope_all
                    else [countries[country_i][0]],
                    "start": (start + timedelta(days=first)).isoformat(),
                    "days": n_days,
                    "start_d": first,
                    "factors": factors,
                    "spike_floor": SPIKE_FLOOR,
                }
            )
        # Outage: a run of missing days for every country of the app, away from spikes.
        if days >= 30 and rng.random() < P_APP_OUTAGE:
            n_out = rng.randint(2, 7)
            for _try in range(20):
                first = rng.randint(0, days - n_out)
                if all(first + n_out + 1 < s or first > s + n + 1 for s, n in taken):
                    outages.append(
                        {
                            "app": app["app"],
                            "app_idx": i,
                            "start": (start + timedelta(days=first)).isoformat(),
                            "days": n_out,
                            "start_d": first,
                        }
                    )
                    break
    return {
        "start": start,
        "countries": [c for c, _ in countries],
        "apps": apps,
        "spikes": spikes,
        "outages": outages,
    }


# ----------------------------------------------------------------------------- frames
def _batch_frame(
    params: dict, app_lo: int, app_hi: int, days_df: pl.DataFrame, seed: int
) -> pl.DataFrame:
    apps = params["apps"][app_lo:app_hi]
    countries = params["countries"]
    ac_rows = []
    for a in apps:
        for ci, c in enumerate(countries):
            row = {
                "app_idx": a["app_idx"],
                "c_idx": ci,
                "app": a["app"],
                "platform": a["platform"],
                "country": c,
                "level_ac": a["level"] * a["shares"][ci],
                "growth": a["growth"],
                "year_amp": a["year_amp"],
                "uninstall_ratio": a["uninstall_ratio"],
                "sigma": a["sigma"],
            }
            for s, name in enumerate(STREAMS):
                row[name] = _series_base(seed, s, a["app_idx"], ci)
            ac_rows.append(row)
    ac = pl.DataFrame(
        ac_rows,
        schema_overrides={"app_idx": pl.Int32, "c_idx": pl.Int32}
        | {name: pl.UInt64 for name in STREAMS},
    )
    dow = pl.DataFrame(
        {
            "app_idx": [a["app_idx"] for a in apps for _ in range(7)],
            "dow": [k for _ in apps for k in range(7)],
            "dow_factor": [f for a in apps for f in a["dow"]],
        },
        schema_overrides={"app_idx": pl.Int32, "dow": pl.Int8},
    )
    # Spike multipliers and forced-present flags, expanded to app-country-day rows.
    sp_rows: dict[tuple[int, int, int], list[float]] = {}
    cidx = {c: i for i, c in enumerate(countries)}
    for s in params["spikes"]:
        if not app_lo <= s["app_idx"] < app_hi:
            continue
        col = 0 if s["metric"] == "installs" else 1
        for c in s["countries"]:
            for k, f in enumerate(s["factors"]):
                key = (s["app_idx"], cidx[c], s["start_d"] + k)
                sp_rows.setdefault(key, [1.0, 1.0])[col] = f
    spikes = pl.DataFrame(
        {
            "app_idx": [k[0] for k in sp_rows],
            "c_idx": [k[1] for k in sp_rows],
            "d": [k[2] for k in sp_rows],
            "m_inst": [v[0] for v in sp_rows.values()],
            "m_uni": [v[1] for v in sp_rows.values()],
        },
        schema={
            "app_idx": pl.Int32,
            "c_idx": pl.Int32,
            "d": pl.Int32,
            "m_inst": pl.Float64,
            "m_uni": pl.Float64,
        },
    )
    out_rows = [
        (o["app_idx"], o["start_d"] + k)
        for o in params["outages"]
        if app_lo <= o["app_idx"] < app_hi
        for k in range(o["days"])
    ]
    outages = pl.DataFrame(
        {
            "app_idx": [r[0] for r in out_rows],
            "d": [r[1] for r in out_rows],
            "outage": [True] * len(out_rows),
        },
        schema={"app_idx": pl.Int32, "d": pl.Int32, "outage": pl.Boolean},
    )

    z_ia, z_ib = _normal_pair("n_inst_a", "n_inst_b")
    z_ua, z_ub = _normal_pair("n_uni_a", "n_uni_b")
    z_rw, _ = _normal_pair("n_rw_a", "n_rw_b")
    key = ["app_idx", "c_idx"]
    mu = (
        pl.col("level_ac")
        * (pl.col("growth") * pl.col("d") / 365.0 + pl.col("drift")).exp()
        * pl.col("dow_factor")
        * (1.0 + pl.col("year_amp") * pl.col("season_cos"))
    )

    def noisy(mu_col: str, mult: str, za: pl.Expr, zb: pl.Expr) -> pl.Expr:
        m = pl.col(mu_col) * pl.col(mult) + (pl.col(mult) - 1.0) * SPIKE_FLOOR
        v = m * (pl.col("sigma") * za - pl.col("sigma") ** 2 / 2).exp() + m.sqrt() * zb
        return v.round(0).clip(lower_bound=0).cast(pl.Int64)

    u_day = _uniform("miss_day")
    u_met = _uniform("miss_metric")
    frame = (
        ac.lazy()
        .join(days_df.lazy(), how="cross")
        .join(dow.lazy(), on=["app_idx", "dow"], how="left")
        .join(spikes.lazy(), on=["app_idx", "c_idx", "d"], how="left")
        .join(outages.lazy(), on=["app_idx", "d"], how="left")
        .sort(["app_idx", "c_idx", "d"])
        .with_columns(
            pl.col("m_inst").fill_null(1.0),
            pl.col("m_uni").fill_null(1.0),
            pl.col("outage").fill_null(False),
            (z_rw * DRIFT_SIGMA).cum_sum().over(key).alias("drift"),
        )
        .with_columns(mu.alias("mu"))
        .with_columns(
            (pl.col("mu") * pl.col("uninstall_ratio")).alias("mu_u"),
            ((pl.col("m_inst") != 1.0) | (pl.col("m_uni") != 1.0)).alias("spike_day"),
            u_day.alias("u_day"),
            u_met.alias("u_met"),
        )
        .with_columns(
            (~pl.col("spike_day") & (pl.col("outage") | (pl.col("u_day") < P_DAY_MISSING))).alias(
                "gone"
            ),
        )
        .with_columns(
            pl.when(
                pl.col("gone")
                | (
                    ~pl.col("spike_day")
                    & (pl.col("u_met") >= P_UNINSTALLS_MISSING)
                    & (pl.col("u_met") < P_UNINSTALLS_MISSING + P_INSTALLS_MISSING)
                )
            )
            .then(None)
            .otherwise(noisy("mu", "m_inst", z_ia, z_ib))
            .alias("installs"),
            pl.when(
                pl.col("gone") | (~pl.col("spike_day") & (pl.col("u_met") < P_UNINSTALLS_MISSING))
            )
            .then(None)
            .otherwise(noisy("mu_u", "m_uni", z_ua, z_ub))
            .alias("uninstalls"),
        )
        .filter(pl.col("installs").is_not_null() | pl.col("uninstalls").is_not_null())
        .select("date", "app", "platform", "country", "installs", "uninstalls")
    )
    return frame.collect()


def _days_frame(start: date, days: int) -> pl.DataFrame:
    dates = [start + timedelta(days=k) for k in range(days)]
    return pl.DataFrame(
        {
            "d": list(range(days)),
            "date": dates,
            "dow": [x.weekday() for x in dates],
            # yearly seasonality peaking around 21 December
            "season_cos": [
                math.cos(2 * math.pi * (x.timetuple().tm_yday - 355) / 365.25) for x in dates
            ],
        },
        schema={"d": pl.Int32, "date": pl.Date, "dow": pl.Int8, "season_cos": pl.Float64},
    )


def to_long(wide: pl.DataFrame) -> pl.DataFrame:
    """Wide batch -> long rows (absent where missing), ordered app, country, date, metric."""
    return (
        wide.with_row_index("_r")
        .unpivot(
            index=["_r", "date", "app", "platform", "country"],
            on=list(METRICS),
            variable_name="metric",
            value_name="value",
        )
        .drop_nulls("value")
        .sort(["_r", "metric"])
        .select(
            "date", "app", "platform", "country", "metric", "value", pl.lit(SOURCE).alias("source")
        )
    )


# ----------------------------------------------------------------------------- driver
def generate(
    out: Path,
    size: Size,
    seed: int = DEFAULT_SEED,
    rows_per_batch: int = ROWS_PER_BATCH,
    quiet: bool = True,
) -> dict:
    """Write long.csv, wide.csv, truth.json and manifest.json into ``out``; return the manifest."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    params = draw_parameters(size, seed)
    days_df = _days_frame(params["start"], size.days)
    per_app = size.days * size.countries
    batch_apps = max(1, rows_per_batch // per_app)
    counts = {"long_rows": 0, "wide_rows": 0, "wide_empty_installs": 0, "wide_empty_uninstalls": 0}
    long_path, wide_path = out / "long.csv", out / "wide.csv"
    with open(long_path, "wb") as f_long, open(wide_path, "wb") as f_wide:
        f_long.write((LONG_HEADER + "\n").encode())
        f_wide.write((WIDE_HEADER + "\n").encode())
        for lo in range(0, size.apps, batch_apps):
            hi = min(size.apps, lo + batch_apps)
            wide = _batch_frame(params, lo, hi, days_df, seed)
            long = to_long(wide)
            wide.write_csv(f_wide, include_header=False)
            long.write_csv(f_long, include_header=False)
            counts["wide_rows"] += wide.height
            counts["long_rows"] += long.height
            counts["wide_empty_installs"] += wide["installs"].null_count()
            counts["wide_empty_uninstalls"] += wide["uninstalls"].null_count()
            if not quiet:
                print(f"  apps {lo}-{hi - 1}: {long.height:,} long rows", file=sys.stderr)
    counts["full_long_rows"] = size.full_long_rows
    counts["missing_long_rows"] = size.full_long_rows - counts["long_rows"]
    truth = {
        "seed": seed,
        "size": asdict(size),
        "start": params["start"].isoformat(),
        "end": END_DATE.isoformat(),
        "countries": params["countries"],
        "metrics": list(METRICS),
        "counts": counts,
        "spikes": [{k: v for k, v in s.items() if k != "start_d"} for s in params["spikes"]],
        "outages": [{k: v for k, v in o.items() if k != "start_d"} for o in params["outages"]],
        "apps": [
            {
                "app": a["app"],
                "platform": a["platform"],
                "level": round(a["level"], 3),
                "growth": round(a["growth"], 4),
                "uninstall_ratio": round(a["uninstall_ratio"], 4),
            }
            for a in params["apps"]
        ],
        "model": {
            "p_day_missing": P_DAY_MISSING,
            "p_uninstalls_missing": P_UNINSTALLS_MISSING,
            "p_installs_missing": P_INSTALLS_MISSING,
            "p_app_outage": P_APP_OUTAGE,
            "drift_sigma": DRIFT_SIGMA,
            "spike_value": "mean * factor + (factor - 1) * spike_floor, then noise",
        },
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    manifest = {
        "seed": seed,
        "size": asdict(size),
        "counts": counts,
        "long_bytes": long_path.stat().st_size,
        "wide_bytes": wide_path.stat().st_size,
        "generation_s": round(time.perf_counter() - t0, 3),
        "batch_apps": batch_apps,
        "polars": pl.__version__,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def resolve_size(
    name: str, apps: int | None = None, days: int | None = None, countries: int | None = None
) -> Size:
    base = SIZES[name]
    return Size(
        apps=apps or base.apps, days=days or base.days, countries=countries or base.countries
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--apps", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--countries", type=int)
    ap.add_argument("--rows-per-batch", type=int, default=ROWS_PER_BATCH)
    args = ap.parse_args(argv)
    size = resolve_size(args.size, args.apps, args.days, args.countries)
    m = generate(args.out, size, args.seed, args.rows_per_batch, quiet=False)
    print(json.dumps(m, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
