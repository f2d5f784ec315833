#!/usr/bin/env python
"""Django's usual entry point; ``capdesk`` is the same command, installed on PATH."""

from capdesk.cli import main

if __name__ == "__main__":
    main()
