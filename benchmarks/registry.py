"""Benchmark registry: one decorated function per benchmark.

Adding a benchmark is one function in a module named ``benchmarks/bench_<something>.py``
(``benchmarks.run`` imports every such module)::

    from benchmarks.registry import Context, Result, Target, benchmark
    from benchmarks.measure import measure, run_callable

    @benchmark("explorer", order=20, description="Explorer data path, 5 apps x 180 days")
    def explorer(ctx: Context):
        m = measure(lambda: run_callable("benchmarks.bench_explorer:query_loop",
                                         {"db": str(ctx.work_dir / "x.duckdb")}),
                    ctx.reps)
        yield Result.from_measurement("explorer.query", "Explorer query", ctx, m,
                                      target=Target(max_p95_s=0.150), show_p95=True)

The function receives a :class:`Context` (size, repetitions, the generated CSVs, a scratch
directory) and yields :class:`Result` rows. An exception inside it becomes a ``failed`` row; it
never stops the other benchmarks. Benchmarks report, they never assert on wall-clock time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.generate import Size
from benchmarks.measure import Measurement

STATUS_OK = "ok"
STATUS_NOT_AVAILABLE = "not available"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class Target:
    """What "good enough" means for one figure; any unset bound is not checked."""

    max_ratio: float | None = None  # to the floor of the same input
    max_median_s: float | None = None
    max_p95_s: float | None = None
    max_rss_mb: float | None = None

    def describe(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"<= {self.max_ratio:g}x floor")
        if self.max_median_s is not None:
            parts.append(f"median < {_fmt_s(self.max_median_s)}")
        if self.max_p95_s is not None:
            parts.append(f"p95 < {_fmt_s(self.max_p95_s)}")
        if self.max_rss_mb is not None:
            parts.append(f"RSS < {self.max_rss_mb:g} MB")
        return ", ".join(parts)

    def check(self, r: Result) -> bool | None:
        checks = []
        if self.max_ratio is not None:
            checks.append(r.ratio_to_floor is not None and r.ratio_to_floor <= self.max_ratio)
        if self.max_median_s is not None:
            checks.append(r.median_s is not None and r.median_s < self.max_median_s)
        if self.max_p95_s is not None:
            checks.append(r.p95_s is not None and r.p95_s < self.max_p95_s)
        if self.max_rss_mb is not None:
            checks.append(r.peak_rss_mb is not None and r.peak_rss_mb < self.max_rss_mb)
        return all(checks) if checks else None


def _fmt_s(s: float) -> str:
    return f"{s * 1000:g} ms" if s < 1 else f"{s:g} s"


@dataclass
class Result:
    """One row of the results table."""

    id: str  # stable identifier, e.g. "import.long.ingest"
    label: str  # what a reader sees, e.g. "installpulse ingest (long.csv)"
    size: str
    status: str = STATUS_OK
    reps: int = 0
    median_s: float | None = None
    p95_s: float | None = None
    peak_rss_mb: float | None = None
    inner_median_s: float | None = None
    samples_s: list[float] = field(default_factory=list)
    show_p95: bool = False  # whether p95 is a meaningful figure for this row
    is_floor: bool = False  # this row is the floor others are compared with
    floor: str | None = None  # id of the floor row this one is compared with
    ratio_to_floor: float | None = None
    target: Target | None = None
    met: bool | None = None
    rows: int | None = None
    note: str = ""
    group: str = ""  # the registered benchmark that produced it (set by run)

    @classmethod
    def from_measurement(
        cls,
        id: str,
        label: str,
        ctx: Context,
        m: Measurement,
        *,
        floor: Result | None = None,
        target: Target | None = None,
        show_p95: bool = False,
        note: str = "",
        is_floor: bool = False,
    ) -> Result:
        s = m.summary()
        r = cls(
            id=id,
            label=label,
            size=ctx.size_name,
            reps=s["reps"],
            median_s=s["median_s"],
            p95_s=s["p95_s"],
            peak_rss_mb=s["peak_rss_mb"],
            inner_median_s=s["inner_median_s"],
            samples_s=s["samples_s"],
            show_p95=show_p95,
            target=target,
            note=note,
            is_floor=is_floor,
        )
        values = [x.value for x in m.samples if isinstance(x.value, int)]
        if values:
            r.rows = values[-1]
        if not m.ok:
            r.status = STATUS_FAILED
            r.note = "; ".join(x for x in (note, m.error or "failed") if x)
        r.compare_to(floor)
        return r

    def compare_to(self, floor: Result | None) -> None:
        if floor is None:
            return
        self.floor = floor.id
        if (
            self.status == STATUS_OK
            and floor.status == STATUS_OK
            and floor.median_s
            and self.median_s is not None
        ):
            self.ratio_to_floor = round(self.median_s / floor.median_s, 3)

    def finish(self) -> None:
        """Evaluate the target (called by the runner once the row is complete)."""
        if self.target is not None and self.status == STATUS_OK:
            self.met = self.target.check(self)

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["target"] = (
            None
            if self.target is None
            else {
                "description": self.target.describe(),
                **{k: v for k, v in self.target.__dict__.items() if v is not None},
            }
        )
        return d


@dataclass
class Context:
    """What a benchmark function gets."""

    size_name: str
    size: Size
    seed: int
    reps: int
    data_dir: Path  # holds long.csv, wide.csv, truth.json, manifest.json
    work_dir: Path  # scratch space, removed after the run
    timeout_s: float | None = None

    @property
    def long_csv(self) -> Path:
        return self.data_dir / "long.csv"

    @property
    def wide_csv(self) -> Path:
        return self.data_dir / "wide.csv"

    @property
    def truth(self) -> dict:
        return json.loads((self.data_dir / "truth.json").read_text())

    def head_fraction(self, csv: Path, fraction: float) -> Path:
        """The header plus the first ``fraction`` of the data lines of ``csv`` (cached next to
        it)."""
        pct = round(fraction * 100)
        out = csv.with_name(f"{csv.stem}_{pct}pct{csv.suffix}")
        if out.exists():
            return out
        with open(csv, "rb") as f:
            total = sum(1 for _ in f) - 1
        keep = max(1, int(total * fraction))
        tmp = out.with_suffix(".tmp")
        with open(csv, "rb") as src, open(tmp, "wb") as dst:
            for i, line in enumerate(src):
                if i > keep:
                    break
                dst.write(line)
        tmp.replace(out)
        return out


BenchFn = Callable[[Context], Iterable[Result]]


@dataclass(frozen=True)
class Spec:
    name: str
    fn: BenchFn
    order: int
    description: str


REGISTRY: dict[str, Spec] = {}


def benchmark(
    name: str, *, order: int = 100, description: str = ""
) -> Callable[[BenchFn], BenchFn]:
    """Register ``fn(ctx) -> Iterable[Result]`` under ``name`` (run in ``order``)."""

    def deco(fn: BenchFn) -> BenchFn:
        old = REGISTRY.get(name)
        if old is not None and (old.fn.__module__, old.fn.__qualname__) != (
            fn.__module__,
            fn.__qualname__,
        ):
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Spec(
            name=name, fn=fn, order=order, description=description or (fn.__doc__ or "").strip()
        )
        return fn

    return deco
