"""The ``capdesk`` console command: ``manage.py`` under a name that says what it runs."""

from __future__ import annotations

import os
import sys

# Command names as DESIGN.md and the issues spell them, for modules Python cannot name so.
ALIASES = {
    "imap-poll": "imap_poll",
    "status-serve": "status_serve",
    "status-publish": "status_publish",
    "dkim-keygen": "dkim_keygen",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")
    from django.core.management import execute_from_command_line

    from capdesk.core.audit_actor import acting

    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    # A staff account made or changed from the command line (createsuperuser, changepassword,
    # shell) is recorded as done by this command (core.access_audit).
    with acting(args[0] if args else "help"):
        execute_from_command_line(["capdesk", *args])


if __name__ == "__main__":
    main()
