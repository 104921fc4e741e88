"""Run the benchmarks and write ``results.json`` and ``results.md``.

    python -m benchmarks.run --size S --reps 5 --out benchmarks/out
    python -m benchmarks.run --size tiny --reps 1 --only import

Data is generated on first use and cached under ``--data-dir`` (default ``benchmarks/data/``,
git-ignored) by size and seed. Every module ``benchmarks/bench_*.py`` is imported; each
``@benchmark`` function in it is run in ``order`` (see ``benchmarks/registry.py``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path

import benchmarks
from benchmarks.generate import DEFAULT_SEED, SIZES, Size, generate, resolve_size
from benchmarks.measure import ROOT, machine_info
from benchmarks.registry import REGISTRY, STATUS_FAILED, Context, Result, Spec

DEFAULT_OUT = ROOT / "benchmarks" / "out"
DEFAULT_DATA = ROOT / "benchmarks" / "data"


def discover() -> list[Spec]:
    """Import every ``benchmarks/bench_*.py`` module; return the registered benchmarks."""
    for mod in pkgutil.iter_modules(benchmarks.__path__):
        if mod.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{mod.name}")
    return sorted(REGISTRY.values(), key=lambda s: (s.order, s.name))


def dataset_dir(data_root: Path, size_name: str, size: Size, seed: int) -> Path:
    return data_root / f"{size_name}-a{size.apps}-d{size.days}-c{size.countries}-seed{seed}"


def ensure_data(data_root: Path, size_name: str, size: Size, seed: int) -> tuple[Path, dict, bool]:
    """Return (directory, manifest, generated_now); generate the data set if it is missing."""
    d = dataset_dir(data_root, size_name, size, seed)
    manifest = d / "manifest.json"
    if manifest.exists() and all((d / f).exists() for f in ("long.csv", "wide.csv", "truth.json")):
        return d, json.loads(manifest.read_text()), False
    data_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=d.name + ".tmp-", dir=data_root))
    try:
        print(
            f"generating {size_name} ({size.apps} apps x {size.days} days x "
            f"{size.countries} countries) into {d} ...",
            file=sys.stderr,
            flush=True,
        )
        m = generate(tmp, size, seed)
        if d.exists():
            shutil.rmtree(d)
        tmp.rename(d)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return d, m, True


def run_all(ctx: Context, specs: list[Spec]) -> list[Result]:
    results: list[Result] = []
    for spec in specs:
        t0 = time.perf_counter()
        print(f"[{spec.name}] {spec.description}", file=sys.stderr, flush=True)
        try:
            for r in spec.fn(ctx):
                r.group = spec.name
                r.finish()
                results.append(r)
                print(f"  {_line(r)}", file=sys.stderr, flush=True)
        except Exception as exc:  # a broken benchmark is a failed row, not a crashed run
            tb = traceback.format_exc(limit=4)
            results.append(
                Result(
                    id=f"{spec.name}.error",
                    label=f"{spec.name} (crashed)",
                    size=ctx.size_name,
                    status=STATUS_FAILED,
                    group=spec.name,
                    note=f"{type(exc).__name__}: {exc} | {tb[-800:]}",
                )
            )
        print(f"[{spec.name}] done in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return results


def _line(r: Result) -> str:
    if r.status != "ok":
        return f"{r.id}: {r.status} {r.note[:200]}"
    ratio = f" ratio {r.ratio_to_floor:.2f}x" if r.ratio_to_floor is not None else ""
    return f"{r.id}: median {_s(r.median_s)} peak {_mb(r.peak_rss_mb)}{ratio}"


def _s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def _mb(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f} MB"


def render_markdown(doc: dict, results: list[Result]) -> str:
    mach, ds = doc["machine"], doc["dataset"]
    size = ds["size"]
    libs = ", ".join(f"{k} {v}" for k, v in mach["libraries"].items() if v)
    lines = [
        f"# installpulse benchmarks - size {doc['size']}",
        "",
        f"Data: {size['apps']:,} apps x {size['days']:,} days x {size['countries']} countries x "
        f"2 metrics, seed {ds['seed']}: {ds['counts']['long_rows']:,} long rows "
        f"({ds['long_bytes'] / 1e6:,.1f} MB long.csv, {ds['counts']['wide_rows']:,} rows / "
        f"{ds['wide_bytes'] / 1e6:,.1f} MB wide.csv); generated in {ds['generation_s']:.1f} s"
        f"{' (this run)' if ds['generated_now'] else ' (cached)'}.",
        f"Repetitions: {doc['reps']} (median; p95 where it is meaningful). Whole fresh process "
        "per figure: wall time and peak RSS.",
        "",
        "| benchmark | size | median | p95 | peak RSS | ratio to floor | target | met? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.status != "ok":
            met = "" if r.target is None else "n/a"
            lines.append(
                f"| {r.label} | {r.size} | {r.status} | | | | "
                f"{r.target.describe() if r.target else ''} | {met} |"
            )
            continue
        ratio = f"{r.ratio_to_floor:.2f}x" if r.ratio_to_floor is not None else ""
        if r.is_floor:
            ratio = "1.00x (floor)"
        met = {True: "yes", False: "**no**", None: ""}[r.met]
        lines.append(
            f"| {r.label} | {r.size} | {_s(r.median_s)} | {_s(r.p95_s) if r.show_p95 else ''} | "
            f"{_mb(r.peak_rss_mb)} | {ratio} | {r.target.describe() if r.target else ''} | {met} |"
        )
    notes = [r for r in results if r.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- `{r.id}`: {r.note}" for r in notes]
    lines += [
        "",
        "Machine:",
        "",
        f"- {mach['cpu_count']} CPUs ({mach['cpu_model']}), {mach['ram_gib']} GiB RAM, "
        f"load average at start {mach['loadavg_at_start']}",
        f"- {mach['os']}, Python {mach['python']}; {libs}",
        f"- peak RSS via {mach['rss_method']}; git {mach['git_commit']}; {mach['timestamp']}; "
        f"run took {doc['duration_s']:.0f} s",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the installpulse benchmarks.")
    ap.add_argument("--size", choices=sorted(SIZES), default="S")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--apps", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--countries", type=int)
    ap.add_argument("--only", nargs="*", help="run only these benchmarks (names)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per-process timeout in seconds")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)

    specs = discover()
    if args.list:
        for s in specs:
            print(f"{s.name:16} {s.description}")
        return 0
    if args.only:
        unknown = set(args.only) - {s.name for s in specs}
        if unknown:
            ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
        specs = [s for s in specs if s.name in args.only]

    t0 = time.perf_counter()
    size = resolve_size(args.size, args.apps, args.days, args.countries)
    data_dir, manifest, generated_now = ensure_data(args.data_dir, args.size, size, args.seed)
    machine = machine_info()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=args.data_dir))
    try:
        ctx = Context(
            size_name=args.size,
            size=size,
            seed=args.seed,
            reps=args.reps,
            data_dir=data_dir,
            work_dir=work,
            timeout_s=args.timeout,
        )
        results = run_all(ctx, specs)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    doc = {
        "size": args.size,
        "reps": args.reps,
        "dataset": {
            **manifest,
            "size": asdict(size),
            "dir": str(data_dir),
            "generated_now": generated_now,
        },
        "machine": machine,
        "duration_s": round(time.perf_counter() - t0, 2),
        "benchmarks": [{"name": s.name, "description": s.description} for s in specs],
        "results": [r.to_json() for r in results],
    }
    md = render_markdown(doc, results)
    for name in ("results", f"results-{args.size}"):
        (args.out / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
        (args.out / f"{name}.md").write_text(md)
    print(md)
    print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
