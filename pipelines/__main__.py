"""`python -m pipelines` is the `installpulse` command."""

import sys

from pipelines.cli import run

sys.exit(run())
