"""The ``capdesk`` console command: ``manage.py`` under a name that says what it runs."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["capdesk", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
