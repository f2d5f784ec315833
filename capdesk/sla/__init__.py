"""SLA: business-hours calendars, Capgo's response targets, clocks on tickets, warnings and breaches.

- ``calendar`` / ``calendar_file`` / ``ics``: calendars (zone, weekday ranges, holidays
  explicit, by country or from an .ics file, or 24/7) and the TOML file
  ``capdesk sla deadline --calendar`` reads.
- ``business_time``: the deadline maths, pure (``add_business_time``,
  ``business_time_between``); ``timeline`` applies it to a clock's running spans.
- ``policies`` + the policy file's ``[service_levels]``: which targets apply (plan/add-on x severity x
  metric), contractual or goal; the TOML is shaped as the policy file's future
  ``[sla]`` section.
- ``models.Clock`` and ``actions``: clocks start on receipt, pause in the configured
  statuses, stop on the first public agent reply, follow severity, decision and
  organization changes, and keep ``Ticket.next_deadline`` current. Other apps call
  the ``on_*`` hooks in ``actions`` from their own actions.
- ``actions.sweep_alerts`` (every 30 s, ``jobs``): warnings and breaches by index,
  mailed to the assignee and ``CAPDESK_SLA_ALERT_TO`` through the outbox (``alerts``).
- ``display``: a clock as the console shows it. ``bench``: the performance checks.
- ``levels``, ``calculator``, ``forms``: the console's Service levels page, the loaded
  section as agents read it, and deadlines asked of ``actions.new_clock``.
"""
