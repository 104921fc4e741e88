"""`python -m pipelines` is the `installpulse` command."""

import sys

from pipelines.cli import main

sys.exit(main())
