"""Text staff write in the desk's other languages beside the original (English), which stays in its column.

The status page (an incident's title and updates, a component's name) and agents' macros
are written in the desk's default language (``LANGUAGE_CODE``). What staff also write in
another of ``LANGUAGES`` is kept beside it in a ``translations`` JSON field shaped
``{language: {field: text}}``, so a further language needs a line in settings and the
``.po`` file, not a column per language. Readers in that language (the status page and
its feeds, subscriber emails, a customer a macro is inserted for) get it when it was
given and the original otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import get_language_info

# {language: {field: text}}, as stored and as actions, forms and the API pass it.
Translations = Mapping[str, Mapping[str, str]]
# As long as the original's column allows (a title), or the API's limit on a message.
MAX_LENGTH = {"name": 255}
DEFAULT_MAX_LENGTH = 20_000


class TranslationError(ValueError):
    """Text for a language the desk is not offered in, or a field that is not translated."""


def other_languages() -> list[str]:
    """The languages text can be translated into: every language of the desk but the original's."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def language_name(code: str) -> str:
    """The language's name in itself ("Bahasa Indonesia"), as a language switcher shows it."""
    return str(dict(settings.LANGUAGES).get(code, code))


def language_in_sentence(code: str) -> str:
    """The language's name in the active language ("Indonesian", "Inggris"), for a sentence about it."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return language_name(code)


def checked(raw: Translations | None, fields: Iterable[str]) -> dict[str, dict[str, str]]:
    """``raw`` with its texts stripped; an empty text stays, meaning "remove this translation".

    Refuses a language that is not another of the desk's languages, and a field not in ``fields``,
    rather than keeping text no reader would ever be shown.
    """
    allowed_fields = set(fields)
    allowed_languages = set(other_languages())
    clean: dict[str, dict[str, str]] = {}
    for language, texts in (raw or {}).items():
        if language not in allowed_languages:
            raise TranslationError(f"{language!r} is not a language the desk is translated into")
        unknown = set(texts) - allowed_fields
        if unknown:
            raise TranslationError(f"{', '.join(sorted(unknown))} cannot be translated here")
        clean[language] = {field: str(text).strip() for field, text in texts.items()}
        for field, text in clean[language].items():
            if len(text) > MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH):
                raise TranslationError(f"the {language} {field} is too long")
    return clean


def merged(current: Mapping[str, Mapping[str, str]], changes: Translations) -> dict[str, dict[str, str]]:
    """``current`` with ``changes`` applied: a text replaces, an empty text removes."""
    result = {language: dict(texts) for language, texts in current.items()}
    for language, texts in changes.items():
        mine = result.setdefault(language, {})
        for field, text in texts.items():
            if text:
                mine[field] = text
            else:
                mine.pop(field, None)
        if not mine:
            del result[language]
    return result


def pick(translations: Mapping[str, Mapping[str, str]], field: str, language: str | None) -> str:
    """The text of ``field`` in ``language`` ("id-ID" also finds "id"), or "" when not translated."""
    if not language:
        return ""
    code = language.lower()
    for candidate in (code, code.split("-")[0]):
        text = (translations.get(candidate) or {}).get(field, "")
        if text:
            return text
    return ""


def only(translations: Translations, fields: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The texts of ``fields`` (a renaming: {given name: stored name}), per language."""
    picked: dict[str, dict[str, str]] = {}
    for language, texts in translations.items():
        kept = {stored: texts[given] for given, stored in fields.items() if given in texts}
        if kept:
            picked[language] = kept
    return picked


class HasTranslations:
    """A model mixin: ``TRANSLATED`` fields read in a language from its ``translations`` JSON field.

    Each model declares the field itself (its help text says whose words they are).
    """

    # The fields whose text may be given in another language.
    TRANSLATED: tuple[str, ...] = ()
    translations: Any

    def text_in(self, field: str, language: str | None) -> str:
        """``field`` as a reader in ``language`` sees it: its translation, else the original."""
        if field not in self.TRANSLATED:
            raise ValueError(f"{field!r} is not translated on {type(self).__name__}")
        return pick(self.translations, field, language) or str(getattr(self, field))

    def translations_of(self, field: str) -> dict[str, str]:
        """``field``'s translations by language, for screens that show them all."""
        return {lang: texts[field] for lang, texts in self.translations.items() if texts.get(field)}
