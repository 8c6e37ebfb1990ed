"""``python -m numpy_mlp``: the command-line interface."""

from .cli import main

raise SystemExit(main())
