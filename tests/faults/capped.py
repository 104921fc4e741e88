"""`python -m tests.faults.capped EXTRA_MB ARGS...`: `installpulse ARGS` with its address space
capped (RLIMIT_AS) at what the loaded program uses plus EXTRA_MB - a memory cap that does not
depend on how much the machine's Python, DuckDB and thread count take just to start.

The program is loaded first (every command's modules, as building the parser does), then the
cap is set, then the command runs: the cap bites in the command's own work, never while Python
imports modules (a cap too small to load the program is not an installpulse behaviour).
"""

from __future__ import annotations

import contextlib
import re
import resource
import sys
from pathlib import Path

from pipelines import cli


def _vm_size() -> int:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmSize:\s+(\d+) kB", status)
    assert found, "no VmSize in /proc/self/status"
    return int(found.group(1)) * 1024


def main() -> int:
    extra = int(sys.argv[1]) * 1024 * 1024
    args = sys.argv[2:]
    cli.build_parser()  # (imports every command's modules)
    from pipelines import analysis_cli  # noqa: F401

    # duckdb 1.5 imports numpy (when installed) the first time it binds a parameter; numpy's
    # OpenBLAS then allocates its thread buffers - loading the program, not the command's work
    with contextlib.suppress(ImportError):
        import numpy  # noqa: F401

    cap = _vm_size() + extra
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return cli.main(args)


if __name__ == "__main__":
    sys.exit(main())
