"""Form fields for text in the desk's other languages ("Name in Bahasa Indonesia"), for the status page and macros.

``with_translations("name", "body")`` adds, after each named field, one optional field per
other language (``name_in_id``), so the Django admin and the console ask for the same
thing, and a further language in settings adds its fields everywhere without a code change.
``translations_from`` turns what was typed back into ``{language: {field: text}}`` for the
actions (core.translations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.forms.utils import pretty_name
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from capdesk.core.translations import language_name, other_languages

F = TypeVar("F", bound=type[forms.BaseForm])


def field_name(field: str, language: str) -> str:
    return f"{field}_in_{language}"


def _translation_field(name: str, original: forms.Field, language: str) -> forms.CharField:
    textarea = isinstance(original.widget, forms.Textarea)
    return forms.CharField(
        required=False,
        max_length=getattr(original, "max_length", None),
        widget=forms.Textarea(attrs={"rows": 3}) if textarea else forms.TextInput(),
        label=format_lazy(
            _("{field} in {language} (optional)"),
            field=original.label or pretty_name(name),
            language=language_name(language),
        ),
        help_text=_("Readers in that language see it; without it they see the text above."),
    )


def _interleaved(names: list[str], translated: tuple[str, ...]) -> list[str]:
    extra = {field_name(n, lang) for n in translated for lang in other_languages()}
    order: list[str] = []
    for name in names:
        if name in extra:
            continue
        order.append(name)
        if name in translated:
            order += [field_name(name, lang) for lang in other_languages()]
    return order


def with_translations(*translated: str) -> Callable[[F], F]:
    """Class decorator: an optional field per other language after each of ``translated``.

    A bound model instance fills them from its ``translations`` (a change form shows the
    Indonesian title already given); subclasses that add fields keep each one in place.
    """

    def decorate(form_class: F) -> F:
        # base_fields and declared_fields are set by the forms metaclass, unknown to the stubs.
        cls: Any = form_class
        added = {
            field_name(name, lang): _translation_field(name, cls.base_fields[name], lang)
            for name in translated
            for lang in other_languages()
        }
        every = {**cls.base_fields, **added}
        cls.base_fields = {n: every[n] for n in _interleaved(list(every), translated)}
        cls.declared_fields = {**cls.declared_fields, **added}
        original_init = cls.__init__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original_init(self, *args, **kwargs)
            self.order_fields(_interleaved(list(self.fields), translated))
            instance = getattr(self, "instance", None)
            if instance is not None and instance.pk:
                for name in set(translated) & set(getattr(instance, "TRANSLATED", ())):
                    for lang, text in instance.translations_of(name).items():
                        self.initial.setdefault(field_name(name, lang), text)

        cls.__init__ = __init__
        return form_class

    return decorate


def translations_from(data: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """What was typed, as ``{language: {stored name: text}}``; ``fields`` maps form names to stored ones.

    An empty field stays, as "", so a change form can remove a translation.
    """
    return {
        lang: {stored: str(data.get(field_name(name, lang)) or "") for name, stored in fields.items()}
        for lang in other_languages()
    }


def slot(field: str, language: str) -> str:
    """The form field a template written in ``language`` fills: the original's, or its translation's."""
    return field_name(field, language) if language in other_languages() else field
