"""Capdesk: the support desk that keeps Capgo's support policy."""
