"""The ticket's History as sentences an agent reads ("Status: Open → Pending"), not audit kinds.

Each ``Event.kind`` has one small function that turns the row's ``data`` into a translated
sentence. Rows written before a kind recorded both ends of a change, or edited by hand,
miss keys: they get the sentence without the values, never an error, and a kind nobody
taught this module is shown as it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from capdesk.tickets.models import Channel, Event, Severity, Status


@dataclass(frozen=True)
class Line:
    """One row of the History list: when, what happened (a sentence), who did it and why."""

    kind: str
    at: datetime
    text: str
    actor: str
    reason: str


# Names of the agents the "assigned" rows mention, by id, read once for the whole list.
Names = Mapping[int, str]
_Sentence = Callable[[dict[str, Any], Names], str]


def _choice(choices: type[Status] | type[Severity] | type[Channel], value: object) -> str:
    """The translated label of a stored value; the value itself if the choices no longer have it."""
    if value is None or value == "":
        return "—"
    return str(dict(choices.choices).get(str(value), value))


def _agent(value: object, names: Names) -> str:
    if value is None:
        return _("nobody")
    if isinstance(value, int) and value in names:
        return names[value]
    # The account was deleted since: say so rather than show a bare number.
    return _("a removed account")


def _metric(value: object) -> str:
    labels = {
        "first_response": _("first response"),
        "next_response": _("next response"),
        "resolution": _("resolution"),
    }
    return labels.get(str(value), str(value or "—"))


def _from_to(data: dict[str, Any], field: str) -> tuple[object, object] | None:
    if f"{field}_from" in data and f"{field}_to" in data:
        return data[f"{field}_from"], data[f"{field}_to"]
    return None


def _created(data: dict[str, Any], names: Names) -> str:
    if data.get("split_from"):
        count = int(data.get("messages") or 0)
        return ngettext(
            "Split out of %(ref)s with %(count)d message",
            "Split out of %(ref)s with %(count)d messages",
            count,
        ) % {"ref": data["split_from"], "count": count}
    if data.get("follow_up_of") and "channel" in data:
        return _("Opened through %(channel)s as a follow-up of %(ref)s, which was closed") % {
            "channel": _choice(Channel, data["channel"]),
            "ref": data["follow_up_of"],
        }
    if "channel" in data:
        return _("Opened through %(channel)s, severity %(severity)s") % {
            "channel": _choice(Channel, data["channel"]),
            "severity": _choice(Severity, data.get("severity")),
        }
    return _("Ticket opened")


def _change(
    data: dict[str, Any], field: str, choices: type[Status] | type[Severity], sentence: str
) -> str | None:
    """``sentence`` with both ends of the change to ``field``, or None for a row without them."""
    change = _from_to(data, field)
    if change is None:
        return None
    return sentence % {"old": _choice(choices, change[0]), "new": _choice(choices, change[1])}


def _customer_message(data: dict[str, Any], names: Names) -> str:
    # Older rows kept only where the status came from: the reply is told without a change.
    if data.get("status_from") != data.get("status_to"):
        told = _change(data, "status", Status, _("Customer replied; status: %(old)s → %(new)s"))
        if told is not None:
            return told
    return _("Customer replied")


def _status(data: dict[str, Any], names: Names) -> str:
    return _change(data, "status", Status, _("Status: %(old)s → %(new)s")) or _("Status changed")


def _severity(data: dict[str, Any], names: Names) -> str:
    return _change(data, "severity", Severity, _("Severity: %(old)s → %(new)s")) or _("Severity changed")


def _severity_declared(data: dict[str, Any], names: Names) -> str:
    """What an email declared (intake.declared_severity), quoted as written, and whether it counted."""
    said = data.get("said")
    values = {
        "severity": _choice(Severity, data.get("severity")),
        "said": ", ".join(f"“{s}”" for s in said) if isinstance(said, list) and said else "—",
    }
    if data.get("taken"):
        return _("Severity %(severity)s declared by the customer by email: %(said)s") % values
    return (
        _("Severity %(severity)s claimed by email (%(said)s), not taken: the sender is not proven (E3)")
        % values
    )


def _assigned(data: dict[str, Any], names: Names) -> str:
    if "assignee_to" not in data:
        return _("Assignee changed")
    before = _agent(data.get("assignee_from"), names)
    if data["assignee_to"] is None:
        return _("Unassigned (was: %(old)s)") % {"old": before}
    assigned = _("Assigned to %(new)s (was: %(old)s)") % {
        "new": _agent(data["assignee_to"], names),
        "old": before,
    }
    # A New ticket opens when it is given to someone; rows before that was recorded say only who.
    moved = _change(data, "status", Status, _("Status: %(old)s → %(new)s"))
    return " · ".join([assigned, moved]) if moved else assigned


def _decision(data: dict[str, Any], names: Names) -> str:
    decided = _("Policy decision: %(outcome)s (%(scope)s)") % {
        "outcome": data.get("outcome") or "—",
        "scope": data.get("scope") or "—",
    }
    return " · ".join([decided, *_routing(data)])


def _override(data: dict[str, Any], names: Names) -> str:
    # Two shapes: an override of the outcome records both ends; a decision an agent made
    # anew (a confirmed sender's request decided again) records what it decided.
    change = _from_to(data, "outcome")
    if change is not None:
        decided = _("Decision overridden: %(old)s → %(new)s") % {
            "old": change[0] or "—",
            "new": change[1] or "—",
        }
    else:
        decided = _("Decision overridden: %(outcome)s (%(scope)s)") % {
            "outcome": data.get("outcome") or "—",
            "scope": data.get("scope") or "—",
        }
    return " · ".join([decided, *_routing(data)])


def _routing(data: dict[str, Any]) -> list[str]:
    """What a decision did to the ticket, where it recorded it (rows before it did show none)."""
    parts = []
    status = _from_to(data, "status")
    if status is not None and status[0] != status[1]:
        parts.append(_status(data, {}))
    severity = _from_to(data, "severity")
    if severity is not None and severity[0] != severity[1]:
        parts.append(_severity(data, {}))
    if data.get("queue"):
        parts.append(_("Queue: %(queue)s") % {"queue": data["queue"]})
    return parts


def _merged_into(data: dict[str, Any], names: Names) -> str:
    return _("Merged into %(ref)s") % {"ref": data.get("target") or "—"}


def _merged(data: dict[str, Any], names: Names) -> str:
    count = int(data.get("messages") or 0)
    return ngettext(
        "%(ref)s merged into this ticket (%(count)d message)",
        "%(ref)s merged into this ticket (%(count)d messages)",
        count,
    ) % {"ref": data.get("source") or "—", "count": count}


def _split(data: dict[str, Any], names: Names) -> str:
    count = int(data.get("messages") or 0)
    return ngettext(
        "%(count)d message split out into %(ref)s",
        "%(count)d messages split out into %(ref)s",
        count,
    ) % {"ref": data.get("new") or "—", "count": count}


def _incident_linked(data: dict[str, Any], names: Names) -> str:
    if data.get("previous"):
        return _("Linked to incident %(new)s (was: %(old)s)") % {
            "new": data.get("incident") or "—",
            "old": data["previous"],
        }
    return _("Linked to incident %(new)s") % {"new": data.get("incident") or "—"}


def _incident_unlinked(data: dict[str, Any], names: Names) -> str:
    return _("Unlinked from incident %(old)s") % {"old": data.get("incident") or "—"}


def _incident_resolved(data: dict[str, Any], names: Names) -> str:
    values = {"incident": data.get("incident") or "—"}
    if data.get("solved"):
        return _("Incident %(incident)s resolved; the ticket was solved") % values
    return _("Incident %(incident)s resolved; the ticket stays open (the customer wrote since)") % values


def _retainer(data: dict[str, Any], names: Names) -> str:
    minutes = int(data.get("minutes") or 0)
    return ngettext(
        "%(minutes)d minute booked on the Premium Support hours",
        "%(minutes)d minutes booked on the Premium Support hours",
        minutes,
    ) % {"minutes": minutes}


_VERDICTS = {
    "verified": gettext_lazy("Sender checked: a registered address, proven"),
    "unverified": gettext_lazy("Sender checked: a registered address, not proven"),
    "unknown": gettext_lazy("Sender checked: not a registered address"),
}


def _sender_identified(data: dict[str, Any], names: Names) -> str:
    # The verdict is about the address (E3); how it was checked (DKIM, DMARC) is the reason's.
    verdict = str(data.get("verdict") or "")
    said = _VERDICTS.get(verdict)
    return str(said) if said else _("Sender checked: %(verdict)s") % {"verdict": verdict or "—"}


def _undelivered(data: dict[str, Any], names: Names) -> str:
    return _("The email to %(address)s did not arrive") % {"address": data.get("address") or "—"}


def _emails(value: object) -> str:
    return ", ".join(str(e) for e in value) if isinstance(value, list) and value else "—"


def _agent_replied(data: dict[str, Any], names: Names) -> str:
    if data.get("left_out"):
        return _("Agent replied to the customer; not emailed to %(emails)s (still copied)") % {
            "emails": _emails(data["left_out"])
        }
    return _("Agent replied to the customer")


def _copied_added(data: dict[str, Any], names: Names) -> str:
    values = {"emails": _emails(data.get("emails")), "by": data.get("by") or "—"}
    how = data.get("how")
    if how == "email":
        text = _("Copied on the ticket, from the To and Cc of %(by)s's email: %(emails)s") % values
    elif how == "merge":
        text = _("Copied on the ticket, from the merged ticket: %(emails)s") % values
    elif how == "split":
        text = _("Copied on the ticket, from the ticket it was split from: %(emails)s") % values
    elif how == "follow_up":
        text = _("Copied on the ticket, from the closed ticket it follows up: %(emails)s") % values
    else:
        text = _("Copied on the ticket: %(emails)s") % values
    if data.get("dropped"):
        text += " " + _("(not copied, past the limit: %(emails)s)") % {"emails": _emails(data["dropped"])}
    return text


def _copied_skipped(data: dict[str, Any], names: Names) -> str:
    return _("Not copied on the ticket, though %(by)s's email named them: %(emails)s") % {
        "emails": _emails(data.get("emails")),
        "by": data.get("by") or "—",
    }


def _copied_not_carried(data: dict[str, Any], names: Names) -> str:
    return _("Not copied here from %(ref)s, which had another requester: %(emails)s") % {
        "emails": _emails(data.get("emails")),
        "ref": data.get("source") or "—",
    }


def _copied_removed(data: dict[str, Any], names: Names) -> str:
    return _("No longer copied on the ticket: %(email)s") % {"email": data.get("email") or "—"}


def _unsuppressed(data: dict[str, Any], names: Names) -> str:
    if data.get("address"):
        return _("%(address)s was taken off the suppression list") % {"address": data["address"]}
    return _("The requester's address was taken off the suppression list")


def _withheld(data: dict[str, Any], names: Names) -> str:
    values = {"address": data.get("address") or "—", "limit": data.get("limit") or "—"}
    if data.get("no_reply"):
        return (
            _(
                "The standard reply was not emailed to %(address)s: it is an automatic mailbox "
                "(no-reply) that nobody reads"
            )
            % values
        )
    if data.get("link"):
        return (
            _(
                "The confirmation link was not emailed to %(address)s: the limit of automatic replies to "
                "one address a day (%(limit)s) was reached. It goes out in the address's next email "
                "listing what waits for its confirmation"
            )
            % values
        )
    return (
        _(
            "The standard reply was not emailed to %(address)s: the limit of automatic replies to one "
            "address a day (%(limit)s) was reached"
        )
        % values
    )


def _sender_confirmed(data: dict[str, Any], names: Names) -> str:
    if data.get("via") == "portal":
        return _("The registered customer confirmed they sent it, signed in to the portal")
    return _("The sender confirmed their address")


def _confirmation_emailed(data: dict[str, Any], names: Names) -> str:
    values = {"address": data.get("address") or "—"}
    if data.get("by") == "agent":
        return _("The confirmation link was emailed again to %(address)s") % values
    return (
        _("The confirmation link was emailed to %(address)s, in its list of what waits for its confirmation")
        % values
    )


def _project_named(data: dict[str, Any], names: Names) -> str:
    return _("The requester named the project, %(project)s: decided again") % {
        "project": data.get("project") or "—"
    }


def _sla(sentence: str) -> _Sentence:
    def present(data: dict[str, Any], names: Names) -> str:
        return _(sentence) % {"metric": _metric(data.get("metric"))}

    return present


def _bulk(data: dict[str, Any], names: Names) -> str:
    count = int(data.get("tickets") or 0)
    return ngettext(
        "Part of a bulk change of %(count)d ticket",
        "Part of a bulk change of %(count)d tickets",
        count,
    ) % {"count": count}


def _fixed(sentence: str) -> _Sentence:
    def present(data: dict[str, Any], names: Names) -> str:
        return _(sentence)

    return present


def _held_reply_expired(data: dict[str, Any], names: Names) -> str:
    days = int(data.get("days", settings.CAPDESK_HELD_REPLY_DAYS))
    return ngettext(
        "A held reply was discarded: nobody confirmed it in the %(days)d day after its link expired; "
        "its email stays in the intake log",
        "A held reply was discarded: nobody confirmed it in the %(days)d days after its link expired; "
        "its email stays in the intake log",
        days,
    ) % {"days": days}


# The fixed sentences are marked with gettext_noop, so makemessages finds them, and
# translated when a line is drawn, in the agent's language.
SENTENCES: dict[str, _Sentence] = {
    "ticket.created": _created,
    "message.customer": _customer_message,
    "message.agent": _agent_replied,
    "message.internal": _fixed(gettext_noop("Internal note added")),
    "status.changed": _status,
    "severity.changed": _severity,
    "severity.declared": _severity_declared,
    "assigned": _assigned,
    "round_robin.arrival": _fixed(gettext_noop("Given out by the queue's round-robin on arrival")),
    "bulk.applied": _bulk,
    "decision.made": _decision,
    "decision.overridden": _override,
    "ticket.merged_into": _merged_into,
    "ticket.merged": _merged,
    "ticket.split": _split,
    "incident.linked": _incident_linked,
    "incident.unlinked": _incident_unlinked,
    "incident.resolved": _incident_resolved,
    "retainer.booked": _retainer,
    "sender.confirmed": _sender_confirmed,
    "email.undelivered": _undelivered,
    "email.unsuppressed": _unsuppressed,
    "email.withheld": _withheld,
    "project.named": _project_named,
    "email.sent_again": _fixed(gettext_noop("An email that did not arrive was sent again")),
    "held_reply.released": _fixed(
        gettext_noop("A held reply was published as the customer's, without its link")
    ),
    "held_reply.discarded": _fixed(
        gettext_noop("A held reply was discarded; its email stays in the intake log")
    ),
    "held_reply.expired": _held_reply_expired,
    "held_reply.rejected": _fixed(
        gettext_noop(
            "A held reply was discarded: the registered customer said in the portal they did not send it"
        )
    ),
    "sender.rejected": _fixed(
        gettext_noop(
            "The registered customer said in the portal they did not send this request: treat it as forged"
        )
    ),
    "confirmation.emailed": _confirmation_emailed,
    "sender.identified": _sender_identified,
    "copied.added": _copied_added,
    "copied.removed": _copied_removed,
    "copied.skipped": _copied_skipped,
    "copied.not_carried": _copied_not_carried,
    "sla.met": _sla(gettext_noop("SLA met: %(metric)s")),
    "sla.missed": _sla(gettext_noop("SLA missed: %(metric)s")),
    "sla.warning": _sla(gettext_noop("SLA warning: %(metric)s is due soon")),
    "sla.breached": _sla(gettext_noop("SLA breached: %(metric)s")),
}


def sentence(event: Event, names: Names) -> str:
    present = SENTENCES.get(event.kind)
    data = event.data if isinstance(event.data, dict) else {}
    if present is None:
        return event.kind
    try:
        return present(data, names)
    except (TypeError, ValueError, KeyError):
        # A row edited by hand (a number that is not one, a missing key): still a line.
        return event.kind


def _actor(event: Event) -> str:
    if event.actor_user is not None:
        return event.actor_user.get_username()
    if event.actor_person is not None:
        return event.actor_person.name or _("the customer")
    return ""


def agent_names(events: Iterable[Event]) -> dict[int, str]:
    """The usernames of every agent an "assigned" row names, in one query."""
    ids = {
        value
        for e in events
        if e.kind == "assigned" and isinstance(e.data, dict)
        for value in (e.data.get("assignee_from"), e.data.get("assignee_to"))
        if isinstance(value, int)
    }
    if not ids:
        return {}
    return {pk: name for pk, name in User.objects.filter(pk__in=ids).values_list("pk", User.USERNAME_FIELD)}


def lines(events: Iterable[Event]) -> list[Line]:
    """The History, oldest first, as the console draws it (``events`` with their actors joined)."""
    rows = list(events)
    names = agent_names(rows)
    return [
        Line(kind=e.kind, at=e.created_at, text=sentence(e, names), actor=_actor(e), reason=e.reason)
        for e in rows
    ]
