"""``python -m rnntutor forecast FILE.csv``: see :mod:`rnntutor.cli`."""

from .cli import main

raise SystemExit(main())
