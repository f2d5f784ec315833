"""Reply language: the profile's, else Indonesian or English detected from the request's prose."""

from __future__ import annotations

from capdesk.policy.language import detect_language, prose, reply_language

INDONESIAN_WITH_TRACE = """Halo tim Capgo,

Setelah saya upload bundle baru, aplikasi di Android tidak mendapat pembaruan. Apakah ada yang salah
dengan konfigurasi saya?

```
E/Capacitor: Error: Cannot download the bundle, the server returned 404
    at CapacitorUpdater.download (CapacitorUpdater.java:412)
```

TypeError: Cannot read properties of undefined (reading 'version')
    at Object.notifyAppReady (/app/src/main.ts:12:5)

Terima kasih
"""

ENGLISH_QUOTING_INDONESIAN = """Thanks, that fixed it! The update now arrives after the app restarts.

On Tue, 3 Nov 2026, Capgo Support wrote:
> Halo, apakah Anda sudah memanggil notifyAppReady() setelah aplikasi dimulai? Kalau belum,
> updater akan mengembalikan bundle sebelumnya.
"""


def test_it_reads_plain_indonesian_as_indonesian() -> None:
    assert detect_language("Saya tidak bisa login ke dasbor, mohon bantuannya.") == "id"


def test_it_reads_plain_english_as_english() -> None:
    assert (
        detect_language("My channel is not sending the update to iOS devices. What could be wrong?") == "en"
    )


def test_it_is_not_misled_by_an_english_stack_trace_in_an_indonesian_request() -> None:
    assert detect_language(INDONESIAN_WITH_TRACE) == "id"


def test_it_ignores_the_quoted_mail_it_answers() -> None:
    assert detect_language(ENGLISH_QUOTING_INDONESIAN) == "en"


def test_it_keeps_the_prose_and_drops_code_quotes_and_log_lines() -> None:
    kept = prose(INDONESIAN_WITH_TRACE)
    assert "Apakah ada yang salah" in kept
    assert "CapacitorUpdater.java" not in kept and "TypeError" not in kept


def test_it_falls_back_to_english_when_there_is_too_little_to_tell() -> None:
    assert detect_language("") == "en"
    assert detect_language("capacitor-updater 6.2.1 ios") == "en"
    assert detect_language("```\nconst x = 1\n```") == "en"


def test_it_answers_in_the_profiles_language_first() -> None:
    assert reply_language("id", "Please help, the update fails.", ("en", "id")) == "id"
    assert reply_language("en", "Saya tidak bisa login, mohon bantuannya.", ("en", "id")) == "en"


def test_it_detects_when_there_is_no_profile_language() -> None:
    assert reply_language(None, "Saya tidak bisa login, mohon bantuannya.", ("en", "id")) == "id"
    assert reply_language(None, "I cannot log in.", ("en", "id")) == "en"


def test_it_never_picks_a_language_the_policy_has_no_replies_in() -> None:
    assert reply_language("fr", "Saya tidak bisa login, mohon bantuannya.", ("en",)) == "en"
