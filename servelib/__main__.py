"""``python -m servelib`` runs the ``servelib`` command."""

from servelib.cli import main

raise SystemExit(main())
