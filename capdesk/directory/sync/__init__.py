"""Keeping the directory in step with Capgo: its webhooks, its public API, and file imports.

The state changes themselves are in ``capdesk.directory.actions``; this package
parses what each source sends into records those actions apply.
"""
