"""``python -m telcall.cli``: the ``telcall`` command without the installed script."""

from telcall.cli import main

raise SystemExit(main())
