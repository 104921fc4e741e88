"""analytics.impact by simulation: does the stated 95% interval cover what it says?

Generated series with a known injected effect (fixed seeds, so the figures are the same on
every run): a level between 500 and 5,000 a day; a third of the series with a multiplicative
weekly pattern (3-15%), a third with a linear trend (up to +-0.4% of the level a day, i.e.
+-11% over the four weeks: mostly too small to be significant in 28 days); multiplicative
log-normal noise of 4-10% a day. 28 days before the event, 14 after. The injected effect is
added to the post days, 30% of the level on day 0 decaying with a time constant of 7 days;
the true cumulative effect is its sum. Controls (difference-in-differences, synthetic)
share a common day-to-day factor (5%) with the treated series and get no effect.

Figures at these seeds (python -m tests.analytics.test_impact_simulation prints them):
treated alone - covers the true effect in 97.0% of 400 draws; with nothing injected the
interval contains zero in 93.75% of 400; difference-in-differences - 95.8% of the 190 draws
whose control did not move by chance (10 refused), zero in 92.1% of 189 (11 refused);
synthetic control with two controls - 94.1% of 169 (31 refused: either control may move by
chance). A draw whose control "moved" is refused by design (about 5% per control) and is not
counted.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import polars as pl

from analytics import impact

EVENT = date(2026, 3, 2)
PRE, POST = 28, 14


def _series(rng: random.Random, shared: list[float] | None, effect: float):
    level = rng.uniform(500, 5000)
    amp = rng.choice([0.0, 0.0, rng.uniform(0.03, 0.15)])
    phase = [amp * math.sin(2 * math.pi * (w + rng.random()) / 7) for w in range(7)]
    slope = rng.choice([0.0, 0.0, rng.uniform(-0.004, 0.004)])
    sd = rng.uniform(0.04, 0.10)
    start = EVENT - timedelta(days=PRE)
    rows, true = [], 0.0
    for i in range(PRE + POST):
        d = start + timedelta(days=i)
        offset = i - PRE
        value = level * (1 + slope * offset) * (1 + phase[d.weekday()])
        value *= (shared[i] if shared else 1.0) * math.exp(rng.gauss(0, sd))
        if offset >= 0 and effect:
            injected = effect * level * math.exp(-offset / 7)
            value += injected
            true += injected
        rows.append((d, value))
    frame = pl.DataFrame(rows, schema={"date": pl.Date, "value": pl.Float64}, orient="row")
    return frame, true


def coverage(draws: int, effect: float, seed: int, controls: int = 0, method: str | None = None):
    """(share of intervals covering the true effect, share containing zero, refused draws)."""
    rng = random.Random(seed)
    covered = zero = refused = 0
    for _ in range(draws):
        shared = [math.exp(rng.gauss(0, 0.05)) for _ in range(PRE + POST)] if controls else None
        treated, true = _series(rng, shared, effect)
        others = {f"C{j}": _series(rng, shared, 0.0)[0] for j in range(controls)}
        try:
            r = impact.impact(treated, EVENT, pre=PRE, post=POST, controls=others, method=method)
        except impact.ImpactRefused:
            refused += 1
            continue
        covered += r.low <= true <= r.high
        zero += r.low <= 0 <= r.high
    used = draws - refused
    return covered / used, zero / used, refused


def test_interval_covers_the_injected_effect():
    covered, zero, refused = coverage(400, 0.3, seed=1)
    assert refused == 0
    assert 0.90 <= covered <= 0.98, covered
    assert zero < 0.25  # a 30% effect is mostly told apart from the noise


def test_interval_contains_zero_when_nothing_happened():
    _, zero, refused = coverage(400, 0.0, seed=11)
    assert refused == 0
    assert 0.91 <= zero <= 0.99, zero


def test_difference_in_differences_covers_the_injected_effect_and_zero():
    covered, _, refused = coverage(200, 0.3, seed=21, controls=1)
    assert refused <= 20  # a control moves by chance about 5% of the time
    assert 0.90 <= covered <= 0.98, covered
    _, zero, refused = coverage(200, 0.0, seed=31, controls=1)
    assert refused <= 20
    assert 0.91 <= zero <= 0.99, zero


def test_synthetic_control_covers_the_injected_effect():
    covered, _, refused = coverage(200, 0.3, seed=41, controls=2, method="synthetic")
    assert refused <= 40  # two controls: about 10-15% of the draws
    assert 0.90 <= covered <= 0.98, covered


if __name__ == "__main__":
    print("alone, effect:", coverage(400, 0.3, seed=1))
    print("alone, nothing injected:", coverage(400, 0.0, seed=11))
    print("did, effect:", coverage(200, 0.3, seed=21, controls=1))
    print("did, nothing injected:", coverage(200, 0.0, seed=31, controls=1))
    print("synthetic, effect:", coverage(200, 0.3, seed=41, controls=2, method="synthetic"))
