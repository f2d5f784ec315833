"""Which language to answer in: the person's profile, else a guess from the request's own words.

The guess is deliberately small: count common Indonesian function words against
common English ones, after dropping what is not the customer's prose (fenced
code, quoted earlier mail, log and stack-trace lines), because Indonesian
requests often paste English error messages. Ties and near-empty text read as
English. It tells Indonesian from English and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_INDONESIAN = frozenset(
    [
        "yang",
        "dan",
        "tidak",
        "tak",
        "saya",
        "aku",
        "kami",
        "kita",
        "anda",
        "untuk",
        "dengan",
        "ini",
        "itu",
        "ada",
        "apa",
        "bagaimana",
        "gimana",
        "kenapa",
        "mengapa",
        "sudah",
        "udah",
        "belum",
        "bisa",
        "tolong",
        "mohon",
        "terima",
        "kasih",
        "makasih",
        "sedang",
        "dari",
        "ke",
        "di",
        "pada",
        "juga",
        "atau",
        "jika",
        "kalau",
        "karena",
        "tapi",
        "tetapi",
        "apakah",
        "gak",
        "nggak",
        "enggak",
        "tdk",
        "sy",
        "yg",
        "dgn",
        "utk",
        "sama",
        "saat",
        "masih",
        "lagi",
        "harus",
        "setelah",
        "sebelum",
        "tersebut",
        "akan",
        "agar",
        "supaya",
        "bagi",
        "oleh",
        "dalam",
        "selalu",
        "hanya",
        "mau",
        "ingin",
        "perlu",
        "bantu",
        "bantuan",
        "salam",
        "halo",
        "selamat",
        "pagi",
        "siang",
        "sore",
        "malam",
        "aplikasi",
        "pembaruan",
        "masalah",
        "kesalahan",
        "berhasil",
        "gagal",
        "muncul",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "was",
        "were",
        "not",
        "we",
        "you",
        "my",
        "our",
        "your",
        "to",
        "with",
        "this",
        "that",
        "of",
        "how",
        "why",
        "what",
        "can",
        "could",
        "would",
        "should",
        "please",
        "thanks",
        "thank",
        "does",
        "do",
        "did",
        "from",
        "in",
        "on",
        "also",
        "or",
        "if",
        "because",
        "but",
        "when",
        "have",
        "has",
        "had",
        "it",
        "its",
        "there",
        "be",
        "been",
        "any",
        "after",
        "before",
        "still",
        "only",
        "want",
        "need",
        "help",
        "hello",
        "hi",
        "regards",
    ]
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_NOT_PROSE = re.compile(
    r"""^\s*(
        >                                   # quoted earlier mail
      | at\s+\S+.*[(:]                       # JS / Java stack frame
      | File\s+"                            # Python traceback frame
      | Traceback\b
      | [\w.$]*(Error|Exception)\b[:\s]     # an error line, usually English whatever the writer speaks
      | \S+\s*[:=]\s*[\[{"'\d]              # config and JSON lines
      | [{}\[\]<]                           # code and markup
      | (\$|npx|npm|yarn|bun)\s             # shell commands
      | On\s.+wrote:$                        # "On ... wrote:" quoting headers
      | Pada\s.+menulis:$
    )""",
    re.VERBOSE,
)
_WORD = re.compile(r"[a-z]+")


def prose(text: str) -> str:
    """The lines of ``text`` a person wrote, without code blocks, quotes and log lines."""
    kept, in_fence = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or _NOT_PROSE.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def detect_language(text: str) -> str:
    """``"id"`` if the prose reads as Indonesian, else ``"en"``."""
    words = _WORD.findall(prose(text).lower())
    indonesian = sum(w in _INDONESIAN for w in words)
    english = sum(w in _ENGLISH for w in words)
    return "id" if indonesian >= 2 and indonesian > english else "en"


def reply_language(profile: str | None, text: str, languages: Sequence[str]) -> str:
    """The profile's language if the policy has replies in it, else the detected one, else the first."""
    if profile and profile in languages:
        return profile
    detected = detect_language(text)
    return detected if detected in languages else languages[0]
