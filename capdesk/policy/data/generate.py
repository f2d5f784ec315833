"""Write ``labelled.jsonl``: templated requests (fixed seed) followed by the hand-written set.

Run ``python -m capdesk.policy.data.generate`` after editing the templates or
``handwritten.jsonl``, then retrain (``capdesk classifier train``). The same seed gives
the same file byte for byte; a test holds the committed file to that.

Each generated request is a core paragraph of its scope wrapped the way real mail is:
a greeting or not, some context, a pasted config/log/CLI block, a second question,
a sign-off, typos, sometimes all lower case, sometimes a reply quoting earlier mail.
One request in three is in Indonesian, formal or casual (``slots.REGISTER``): Indonesian
is written in two registers, so it needs more examples than English to cover both.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from capdesk.policy.data import HANDWRITTEN, LABELLED
from capdesk.policy.data.slots import SLOT_NAMES, Slots
from capdesk.policy.data.templates import (
    ASIDES,
    CLOSERS,
    GENERIC_SUBJECTS,
    GREETINGS,
    OPENERS,
    QUOTE_HEADERS,
    QUOTED_SUPPORT,
    TEMPLATES,
)

SEED = 20261127
PER_SCOPE = 40

_ALTERNATION = re.compile(r"\[\[([^\[\]]*)\]\]")
_SLOT = re.compile(r"\{([A-Za-z_0-9]+)\}")

Example = dict[str, str]


def _fill(match: re.Match[str], slots: Slots) -> str:
    name = match.group(1)
    if name.lower() not in SLOT_NAMES:
        return match.group(0)
    value = slots[name.lower()]
    return value[:1].upper() + value[1:] if name[:1].isupper() else value


def expand(template: str, rng: random.Random, slots: Slots) -> str:
    """Pick one alternative of every ``[[a|b]]``, then fill every known ``{slot}`` (``{Slot}``: capitalised)."""
    text = _ALTERNATION.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    return _SLOT.sub(lambda m: _fill(m, slots), text)


def _typos(text: str, rng: random.Random, rate: float) -> str:
    """Swap or drop letters inside a few words, as people typing fast do (never inside blocks)."""
    out: list[str] = []
    for word in text.split(" "):
        if len(word) > 3 and word.isalpha() and rng.random() < rate:
            i = rng.randrange(1, len(word) - 1)
            word = (
                word[:i] + word[i + 1] + word[i] + word[i + 2 :]
                if rng.random() < 0.6
                else word[:i] + word[i + 1 :]
            )
        out.append(word)
    return " ".join(out)


def _quote(rng: random.Random, slots: Slots, lang: str) -> str:
    header = expand(rng.choice(QUOTE_HEADERS[lang]), rng, slots)
    quoted = expand(rng.choice(QUOTED_SUPPORT[lang]), rng, slots)
    if header.startswith("-----Original"):
        return f"{header}\n\n{quoted}"  # Outlook quotes without "> " prefixes
    return header + "\n" + "\n".join(f"> {line}" if line else ">" for line in quoted.splitlines())


def make_example(rng: random.Random, scope: str, lang: str) -> Example:
    templates = TEMPLATES[scope]
    slots = Slots(rng, lang)
    subject_pool = GENERIC_SUBJECTS[lang] if rng.random() < 0.15 else templates.subjects[lang]
    subject = expand(rng.choice(subject_pool), rng, slots)
    core = expand(rng.choice(templates.cores[lang]), rng, slots)
    if rng.random() < 0.15:
        core = _typos(core, rng, 0.12)
    parts: list[str] = []
    if rng.random() < 0.7:
        parts.append(expand(rng.choice(GREETINGS[lang]), rng, slots))
    if rng.random() < 0.35:
        parts.append(expand(rng.choice(OPENERS[lang]), rng, slots))
    parts.append(core)
    if templates.blocks and rng.random() < 0.45:
        parts.append(rng.choice(templates.blocks)(rng, slots))
    if rng.random() < 0.2:
        parts.append(expand(rng.choice(ASIDES[lang]), rng, slots))
    if rng.random() < 0.75:
        parts.append(expand(rng.choice(CLOSERS[lang]), rng, slots))
    body = "\n\n".join(parts)
    if rng.random() < 0.08:
        subject, body = subject.lower(), body.lower()
    if rng.random() < 0.18:
        subject = (
            rng.choice(["Re: ", "RE: ", "Re: Re: "] if lang == "en" else ["Re: ", "Bls: ", "RE: "]) + subject
        )
        body = body + "\n\n" + _quote(rng, slots, lang)
    return {"subject": subject, "body": body, "scope": scope, "lang": lang}


def generate(seed: int = SEED, per_scope: int = PER_SCOPE) -> list[Example]:
    """The templated part of the training set: ``per_scope`` requests per scope id, one in three Indonesian."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible data set, not a secret
    examples: list[Example] = []
    seen: set[tuple[str, str]] = set()
    for scope in TEMPLATES:
        for i in range(per_scope):
            lang = "id" if i % 3 == 2 else "en"
            for _ in range(20):  # a duplicate teaches nothing: draw again
                example = make_example(rng, scope, lang)
                key = (example["subject"], example["body"])
                if key not in seen:
                    break
            seen.add(key)
            examples.append(example)
    return examples


def read_jsonl(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def dumps(examples: Iterable[Example]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in examples)


def labelled_text() -> str:
    """The exact content of ``labelled.jsonl``: generated requests, then the hand-written ones."""
    return dumps([*generate(), *read_jsonl(HANDWRITTEN)])


def main() -> None:
    LABELLED.write_text(labelled_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {LABELLED}\n")


if __name__ == "__main__":
    main()
