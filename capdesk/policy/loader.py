"""Read the policy file (``settings.CAPDESK_POLICY``), check every reference in it, and cache it.

A policy that is wrong must stop the desk, not mislead a customer: every problem
is a ``PolicyError`` naming the file, the line and the reason. ``tomllib``
reports the line of a syntax error; for a semantic one (a clause id that does not
exist, a reply missing in one language, an unknown plan) the line of the
offending key is found in the text (``toml_lines``). The policy is read once per
process and path; change it by restarting.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from django.conf import settings

from capdesk.directory.roles import Role
from capdesk.policy.document import (
    Clause,
    PaidRule,
    Plan,
    Policy,
    PremiumRule,
    Reply,
    RoleRule,
    Scope,
    SlaRule,
)
from capdesk.policy.reply_keys import (
    FRAGMENT_PLACEHOLDERS,
    REASON_FRAGMENTS,
    REPLY_PLACEHOLDERS,
    Fragment,
    ReplyKey,
)
from capdesk.policy.toml_lines import line_of
from capdesk.policy.types import GROUPS, Group, Severity

# decide() routes below-threshold requests here by name, so the file must define it.
TRIAGE_QUEUE = "triage"
_TOP_LEVEL = frozenset(
    {
        "name",
        "languages",
        "default_severity",
        "support_address",
        "status_url",
        "sla_url",
        "console_url",
        "community",
        "triage",
        "channels",
        "queues",
        "plans",
        "paid",
        "roles",
        "sla",
        "service_levels",  # the SLA targets, checked by the sla app (sla.E001)
        "premium",
        "clauses",
        "scopes",
        "severity_labels",
        "replies",
        "fragments",
    }
)
_SYNTAX_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column \d+\)$|\s*\(at end of document\)$")
_KNOWN_ROLES = frozenset(r.value for r in Role)
_SEVERITIES = frozenset(s.value for s in Severity)


class PolicyError(Exception):
    """The policy file cannot be used: where (file and line) and why."""

    def __init__(self, source: Path, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        super().__init__(f"{source}:{line}: {reason}" if line else f"{source}: {reason}")


def load_policy(path: Path | str) -> Policy:
    """Parse and check a policy file; raise ``PolicyError`` at the first problem."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, None, f"cannot read the policy file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _SYNTAX_POSITION.search(message)
        if found is None:
            line = None
        elif found.group("line"):
            line = int(found.group("line"))
        else:
            line = max(1, len(text.splitlines()))
        reason = _SYNTAX_POSITION.sub("", message)
        raise PolicyError(source, line, f"TOML syntax error: {reason}") from None
    return _Reader(source, text, data).policy()


@functools.cache
def _load_cached(path: str) -> Policy:
    return load_policy(path)


def get_policy() -> Policy:
    """The policy this process runs under (``settings.CAPDESK_POLICY``), read once."""
    return _load_cached(str(settings.CAPDESK_POLICY))


def clear_cache() -> None:
    """Forget the policies read so far (tests that rewrite a file in place)."""
    _load_cached.cache_clear()


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(f'"{p}"' if "." in p or not p else p for p in path)


class _Reader:
    """Walks the parsed document, checking types and references as it builds the ``Policy``."""

    def __init__(self, source: Path, text: str, data: dict[str, Any]) -> None:
        self.source = source
        self.text = text
        self.data = data

    def fail(self, path: tuple[str, ...], reason: str, *, at: tuple[str, ...] | None = None) -> PolicyError:
        """The error for ``path``, on the line of ``at`` (default: of ``path`` itself)."""
        where = _dotted(path)
        line = line_of(self.text, path if at is None else at)
        return PolicyError(self.source, line, f"{where}: {reason}" if where else reason)

    def get(self, path: tuple[str, ...]) -> Any:
        node: Any = self.data
        for depth, part in enumerate(path):
            if not isinstance(node, dict):
                raise self.fail(path[:depth], "must be a table")
            if part not in node:
                raise self.fail(path, "is missing")
            node = node[part]
        return node

    def table(self, path: tuple[str, ...], *, allowed: Iterable[str] | None = None) -> dict[str, Any]:
        node = self.get(path)
        if not isinstance(node, dict):
            raise self.fail(path, "must be a table")
        if allowed is not None:
            unknown = sorted(set(node) - set(allowed))
            if unknown:
                raise self.fail(path, f"unknown key {unknown[0]!r}", at=(*path, unknown[0]))
        return node

    def text_value(self, path: tuple[str, ...]) -> str:
        value = self.get(path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "must be a non-empty string")
        return value

    def strings(
        self, path: tuple[str, ...], *, among: Iterable[str] | None = None, what: str = ""
    ) -> tuple[str, ...]:
        value = self.get(path)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(path, "must be a list of strings")
        if among is not None:
            known = set(among)
            for item in value:
                if item not in known:
                    raise self.fail(path, f"unknown {what} {item!r}")
        return tuple(value)

    def number(self, path: tuple[str, ...], *, minimum: float, maximum: float | None = None) -> Decimal:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, "must be a number")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise self.fail(path, f"must be {bounds}, got {value}")
        return Decimal(str(value))

    def flag(self, path: tuple[str, ...]) -> bool:
        value = self.get(path)
        if not isinstance(value, bool):
            raise self.fail(path, "must be true or false")
        return value

    def policy(self) -> Policy:
        self.table((), allowed=_TOP_LEVEL)
        languages = self.strings(("languages",))
        if not languages or len(set(languages)) != len(languages):
            raise self.fail(("languages",), "must list each language once, at least one")
        plans = self.plans()
        clauses = self.clauses(languages)
        queues = self.queues()
        return Policy(
            source=self.source,
            name=self.text_value(("name",)),
            languages=languages,
            default_severity=self.severity(("default_severity",)),
            support_address=self.text_value(("support_address",)),
            status_url=self.text_value(("status_url",)),
            sla_url=self.text_value(("sla_url",)),
            console_url=self.text_value(("console_url",)),
            github_url=self.text_value(("community", "github")),
            discord_url=self.text_value(("community", "discord")),
            confidence_threshold=float(self.number(("triage", "confidence_threshold"), minimum=0, maximum=1)),
            official_channels=frozenset(self.strings(("channels", "official"))),
            queues=queues,
            plans=plans,
            paid=PaidRule(
                subscriptions=frozenset(self.strings(("paid", "subscriptions"))),
                credits=self.flag(("paid", "credits")),
                addons=frozenset(self.strings(("paid", "addons"))),
            ),
            roles=self.roles(),
            sla=SlaRule(
                contractual_plans=frozenset(
                    self.strings(("sla", "contractual_plans"), among=plans, what="plan")
                ),
                goal_plans=frozenset(self.strings(("sla", "goal_plans"), among=plans, what="plan")),
                contractual_addons=frozenset(self.strings(("sla", "contractual_addons"))),
            ),
            premium=self.premium(plans, clauses),
            clauses=clauses,
            scopes=self.scopes(clauses, queues),
            severity_labels=self.severity_labels(languages),
            replies=self.replies(languages),
            fragments=self.fragments(languages),
        )

    def severity(self, path: tuple[str, ...]) -> Severity:
        value = self.get(path)
        if value not in _SEVERITIES:
            raise self.fail(path, f"unknown severity {value!r} (one of {', '.join(sorted(_SEVERITIES))})")
        return Severity(value)

    def plans(self) -> Mapping[str, Plan]:
        plans = {
            plan_id: Plan(id=plan_id, name=self.text_value(("plans", plan_id, "name")))
            for plan_id in self.table(("plans",))
        }
        for plan_id in plans:
            self.table(("plans", plan_id), allowed={"name"})
        if not plans:
            raise self.fail(("plans",), "must define at least one plan")
        return MappingProxyType(plans)

    def queues(self) -> Mapping[str, str]:
        queues = {slug: self.text_value(("queues", slug)) for slug in self.table(("queues",))}
        if TRIAGE_QUEUE not in queues:
            raise self.fail(("queues",), f"must define the {TRIAGE_QUEUE!r} queue")
        return MappingProxyType(queues)

    def roles(self) -> RoleRule:
        def roles_at(key: str) -> frozenset[str]:
            return frozenset(self.strings(("roles", key), among=_KNOWN_ROLES, what="role"))

        self.table(("roles",), allowed={"org", "app", "grantors_org", "grantors_app"})
        return RoleRule(
            org=roles_at("org"),
            app=roles_at("app"),
            grantors_org=roles_at("grantors_org"),
            grantors_app=roles_at("grantors_app"),
        )

    def premium(self, plans: Mapping[str, Plan], clauses: Mapping[str, Clause]) -> PremiumRule:
        if self.flag(("premium", "rollover")):
            raise self.fail(("premium", "rollover"), "rollover of retainer hours is not supported")
        return PremiumRule(
            offer_plans=self.strings(("premium", "offer_plans"), among=plans, what="plan"),
            sales_address=self.text_value(("premium", "sales_address")),
            addon=self.text_value(("premium", "addon")),
            covers=frozenset(self.strings(("premium", "covers"), among=clauses, what="clause id")),
            hours_per_month=self.number(("premium", "hours_per_month"), minimum=0),
            monthly_price_eur=self.number(("premium", "monthly_price_eur"), minimum=0),
            extra_hour_eur=self.number(("premium", "extra_hour_eur"), minimum=0),
        )

    def clauses(self, languages: tuple[str, ...]) -> Mapping[str, Clause]:
        clauses = {}
        for clause_id in self.table(("clauses",)):
            path = ("clauses", clause_id)
            self.table(path, allowed={"section", *languages})
            texts = {lang: self.text_value((*path, lang)) for lang in languages if lang in self.get(path)}
            if languages[0] not in texts:
                raise self.fail(path, f"has no {languages[0]!r} text")
            clauses[clause_id] = Clause(
                id=clause_id, section=self.text_value((*path, "section")), text=MappingProxyType(texts)
            )
        return MappingProxyType(clauses)

    def scopes(self, clauses: Mapping[str, Clause], queues: Mapping[str, str]) -> Mapping[str, Scope]:
        scopes = {}
        for scope_id in self.table(("scopes",)):
            path = ("scopes", scope_id)
            entry = self.table(path, allowed={"clauses", "group", "queue", "areas", "severity"})
            group = self.get((*path, "group"))
            if group not in GROUPS:
                raise self.fail(
                    (*path, "group"), f"unknown group {group!r} (one of {', '.join(sorted(GROUPS))})"
                )
            queue = self.text_value((*path, "queue"))
            if queue not in queues:
                raise self.fail((*path, "queue"), f"unknown queue {queue!r}")
            scope_clauses = self.strings((*path, "clauses"), among=clauses, what="clause id")
            if group == Group.NOT_COVERED and (not scope_clauses or scope_clauses[0] not in REASON_FRAGMENTS):
                raise self.fail(
                    (*path, "clauses"),
                    "a not_covered scope must cite first one of "
                    f"{', '.join(sorted(set(REASON_FRAGMENTS) - {'E1'}))}: its reply explains that clause",
                )
            scopes[scope_id] = Scope(
                id=scope_id,
                group=Group(group),
                clauses=scope_clauses,
                queue=queue,
                areas=frozenset(self.strings((*path, "areas"))) if "areas" in entry else frozenset(),
                severity=self.severity((*path, "severity")) if "severity" in entry else None,
            )
        return MappingProxyType(scopes)

    def severity_labels(self, languages: tuple[str, ...]) -> Mapping[tuple[str, Severity], str]:
        labels = {}
        for lang in languages:
            self.table(("severity_labels", lang), allowed=_SEVERITIES)
            for severity in Severity:
                labels[(lang, severity)] = self.text_value(("severity_labels", lang, severity.value))
        return MappingProxyType(labels)

    def replies(self, languages: tuple[str, ...]) -> Mapping[tuple[str, str], Reply]:
        self.table(("replies",), allowed={k.value for k in ReplyKey})
        replies = {}
        for key in ReplyKey:
            allowed = REPLY_PLACEHOLDERS[key]
            self.table(("replies", key.value), allowed=languages)
            for lang in languages:
                path = ("replies", key.value, lang)
                self.table(path, allowed={"subject", "body"})
                subject = self.template((*path, "subject"), allowed)
                body = self.template((*path, "body"), allowed)
                replies[(key.value, lang)] = Reply(subject=subject, body=body)
        return MappingProxyType(replies)

    def fragments(self, languages: tuple[str, ...]) -> Mapping[tuple[str, str], str]:
        self.table(("fragments",), allowed={f.value for f in Fragment})
        fragments = {}
        for key in Fragment:
            self.table(("fragments", key.value), allowed=languages)
            for lang in languages:
                fragments[(key.value, lang)] = self.template(
                    ("fragments", key.value, lang), FRAGMENT_PLACEHOLDERS
                )
        return MappingProxyType(fragments)

    def template(self, path: tuple[str, ...], allowed: frozenset[str]) -> str:
        """A ``str.format`` template whose every field is a plain name allowed here."""
        value = self.text_value(path)
        try:
            fields = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise self.fail(path, f"is not a valid template ({exc}); write a literal brace as {{{{") from None
        for _literal, field, spec, conversion in fields:
            if field is None:
                continue
            if spec or conversion or not field.isidentifier():
                raise self.fail(
                    path, f"placeholder {{{field}}} must be a plain name, without format or conversion"
                )
            if field not in allowed:
                raise self.fail(
                    path, f"unknown placeholder {{{field}}} (allowed: {', '.join(sorted(allowed))})"
                )
        return value
