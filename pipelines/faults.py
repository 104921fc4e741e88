"""Fault-injection points for the fault suite (tests/faults/): test-only, off unless asked.

A crash test must stop a process at a chosen point (before an import's transaction, inside it,
right after its commit) rather than after a guessed sleep. Each such point calls `point(name)`;
when the environment variable INSTALLPULSE_FAULT names that point, the process stops there:

- `INSTALLPULSE_FAULT=import:in_transaction` - the process kills itself (SIGKILL, as `kill -9`
  does: no cleanup, no atexit, no flush);
- `INSTALLPULSE_FAULT=import:in_transaction@stop` - the process suspends itself (SIGSTOP) so a
  test can act while it holds the database, then resume it (SIGCONT) or kill it.

With the variable unset (always, outside tests) `point` is one dictionary lookup. The names are
listed in POINTS; the README's table of faults says which test uses which.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "import:before_transaction",  # the 'running' history row is written, BEGIN not yet run
    "import:in_transaction",  # every row written, before the archive wait and COMMIT
    "import:after_commit",  # committed (in the WAL), before the checkpoint
    "archive:copied",  # the archive copy is a complete *.part, not yet renamed
    "undo:in_transaction",  # the undo's rows moved, before COMMIT
    "undo:after_commit",  # the undo committed, before the checkpoint
    "demo:after_observations",  # the demo's rows written, its apps and events not yet
    "demo:after_commit",  # the demo committed, before the checkpoint
    "checkpoint:before",  # a write lock let go, its FORCE CHECKPOINT next (commits in the WAL)
    "snapshot:copied",  # a read snapshot copied as *.part, not yet renamed into place
)


def point(name: str) -> None:
    """Kill (or suspend) this process here when INSTALLPULSE_FAULT names this point."""
    wanted = os.environ.get("INSTALLPULSE_FAULT")
    if not wanted:
        return
    target, _, action = wanted.partition("@")
    if target != name:
        return
    os.kill(os.getpid(), signal.SIGSTOP if action == "stop" else signal.SIGKILL)
