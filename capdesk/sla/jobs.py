"""Periodic SLA work: warnings before a target is missed, breaches when it is."""
