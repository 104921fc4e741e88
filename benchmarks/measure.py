"""Measure wall time and peak RSS of a command or a Python callable, each in a fresh process.

* ``run_command(cmd)`` runs ``cmd`` under ``/usr/bin/time -v`` when it exists (peak RSS from
  "Maximum resident set size"), else under a small Python wrapper process that reports
  ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of its one child. Wall time is measured
  around the whole process (interpreter start and imports included - what a user waits for).
* ``run_callable("module:function", kwargs)`` runs the function in a fresh
  ``python -m benchmarks.measure --call ...`` child the same way; the child also reports the
  function's own time (``inner_s``, without interpreter start and imports) and its return value.
* ``measure(runner, reps, setup=...)`` repeats a runner, calling ``setup`` (untimed) before
  each repetition, and summarises: median and p95 wall time, peak RSS (max over repetitions).
* ``machine_info()`` describes the machine and the library versions.

All children run with the repository root as working directory and on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GNU_TIME = "/usr/bin/time"
LIBRARIES = ("duckdb", "polars", "pandas", "pyarrow", "streamlit", "plotly", "kaleido")


@dataclass
class Sample:
    """One run of one process."""

    wall_s: float
    peak_rss_mb: float | None
    returncode: int
    inner_s: float | None = None  # the callable's own time (run_callable only)
    value: object = None  # the callable's JSON return value (run_callable only)
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class Measurement:
    """Repetitions of one runner, summarised."""

    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples) and all(s.ok for s in self.samples)

    @property
    def walls(self) -> list[float]:
        return [s.wall_s for s in self.samples]

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.walls) if self.samples else None

    @property
    def p95_s(self) -> float | None:
        return percentile(self.walls, 95) if self.samples else None

    @property
    def peak_rss_mb(self) -> float | None:
        rss = [s.peak_rss_mb for s in self.samples if s.peak_rss_mb is not None]
        return max(rss) if rss else None

    @property
    def inner_median_s(self) -> float | None:
        inner = [s.inner_s for s in self.samples if s.inner_s is not None]
        return statistics.median(inner) if inner else None

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "error": self.error,
            "reps": len(self.samples),
            "median_s": _r(self.median_s),
            "p95_s": _r(self.p95_s),
            "peak_rss_mb": _r(self.peak_rss_mb, 1),
            "inner_median_s": _r(self.inner_median_s),
            "samples_s": [_r(w) for w in self.walls],
        }


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of fewer than 20 values is the maximum)."""
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    k = max(1, math.ceil(pct / 100 * len(xs)))
    return xs[k - 1]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    env.setdefault("STREAMLIT_SERVER_HEADLESS", "true")
    if extra:
        env.update(extra)
    return env


def _wrap(cmd: Sequence[str], rss_file: Path) -> tuple[list[str], str]:
    if os.access(GNU_TIME, os.X_OK):
        return [GNU_TIME, "-v", "-o", str(rss_file), *cmd], "gnu-time"
    return [
        sys.executable,
        "-m",
        "benchmarks.measure",
        "--rusage-out",
        str(rss_file),
        "--",
        *cmd,
    ], "rusage"


def _read_rss_mb(rss_file: Path, how: str) -> float | None:
    try:
        text = rss_file.read_text()
    except OSError:
        return None
    if how == "gnu-time":
        for line in text.splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1]) / 1024
        return None
    try:
        return json.loads(text)["maxrss_kb"] / 1024
    except (ValueError, KeyError):
        return None


def run_command(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict | None = None,
    timeout: float | None = None,
) -> Sample:
    """Run ``cmd`` once in a fresh process; wall time and peak RSS of that process tree's
    largest process (ru_maxrss semantics)."""
    with tempfile.TemporaryDirectory(prefix="bench-m-") as td:
        rss_file = Path(td) / "rss"
        wrapped, how = _wrap(list(map(str, cmd)), rss_file)
        t0 = time.perf_counter()
        try:
            # stdout is discarded (a benchmark may print a whole file); stderr is kept for errors
            proc = subprocess.run(
                wrapped,
                cwd=cwd or ROOT,
                env=env or child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=timeout,
                check=False,
            )
            code, err = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, err = -9, f"timeout after {timeout}s: {exc}"
        wall = time.perf_counter() - t0
        return Sample(
            wall_s=wall,
            peak_rss_mb=_read_rss_mb(rss_file, how),
            returncode=code,
            stderr_tail=err[-2000:] if code else "",
        )


def run_callable(
    target: str,
    kwargs: dict | None = None,
    *,
    timeout: float | None = None,
    env: dict | None = None,
) -> Sample:
    """Run ``module:function(**kwargs)`` in a fresh Python process (see module docstring)."""
    with tempfile.TemporaryDirectory(prefix="bench-c-") as td:
        out = Path(td) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.measure",
            "--call",
            target,
            "--kwargs",
            json.dumps(kwargs or {}),
            "--result",
            str(out),
        ]
        s = run_command(cmd, timeout=timeout, env=env)
        if s.ok:
            try:
                res = json.loads(out.read_text())
                s.inner_s, s.value = res["inner_s"], res["value"]
            except (OSError, ValueError, KeyError) as exc:
                s.returncode, s.stderr_tail = 1, f"no result from child: {exc}"
        return s


def measure(
    runner: Callable[[], Sample],
    reps: int,
    *,
    setup: Callable[[], None] | None = None,
    stop_on_error: bool = True,
) -> Measurement:
    """Run ``runner`` ``reps`` times (``setup`` before each, untimed)."""
    m = Measurement()
    for _ in range(max(1, reps)):
        if setup is not None:
            setup()
        s = runner()
        m.samples.append(s)
        if not s.ok:
            m.error = f"exit {s.returncode}: {s.stderr_tail.strip()[-600:]}"
            if stop_on_error:
                break
    return m


# ----------------------------------------------------------------------------- machine
def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info() -> dict:
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "os": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gib": _ram_gib(),
        "loadavg_at_start": load,
        "python": platform.python_version(),
        "libraries": versions,
        "rss_method": "gnu-time" if os.access(GNU_TIME, os.X_OK) else "rusage",
        "git_commit": _git_commit(),
    }


def warm_file(path: Path) -> float:
    """Read a file once (warm page cache, as in PERFORMANCE.md); return seconds taken."""
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------- child entry
def _child_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.measure")
    ap.add_argument("--call", help="module:function to run")
    ap.add_argument("--kwargs", default="{}")
    ap.add_argument("--result")
    ap.add_argument("--rusage-out", help="run the command after -- and write its ru_maxrss")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    if args.rusage_out:
        import resource

        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        code = subprocess.call(cmd)
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        Path(args.rusage_out).write_text(json.dumps({"maxrss_kb": ru.ru_maxrss}))
        return code
    if args.call:
        mod_name, _, fn_name = args.call.partition(":")
        fn = getattr(importlib.import_module(mod_name), fn_name)
        t0 = time.perf_counter()
        value = fn(**json.loads(args.kwargs))
        inner = time.perf_counter() - t0
        if args.result:
            Path(args.result).write_text(
                json.dumps({"inner_s": inner, "value": value}, default=str)
            )
        return 0
    ap.error("need --call or --rusage-out")
    return 2


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))

__all__ = [
    "Measurement",
    "Sample",
    "machine_info",
    "measure",
    "percentile",
    "run_callable",
    "run_command",
    "warm_file",
]
