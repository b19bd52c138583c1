"""Every user-facing string has its zh-hans translation in the compiled catalogues.

The strings are read the way `makemessages` would find them: `{% translate %}` and
`{% blocktranslate %}` in the templates (through Django's own template parser, so the msgid is
exactly what is looked up at render time), and gettext calls with literal arguments in the code.
The translations are looked up in the merged zh-hans catalogue Django builds from every app's and
the project's compiled `.mo` files, so a string that is in a `.po` file but was never compiled
fails too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.base import Node
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils.translation import trans_real

ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "audit", "config", "core", "hospital", "insurance", "notifications"]
APPS += ["payments", "pharmacy"]
GETTEXT_CALLS = {
    "_": ("msgid",),
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "pgettext": ("context", "msgid"),
    "pgettext_lazy": ("context", "msgid"),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "npgettext": ("context", "msgid", "plural"),
    "npgettext_lazy": ("context", "msgid", "plural"),
}
CONTEXT_SEPARATOR = "\x04"


def template_files() -> Iterator[Path]:
    folders = [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]
    for folder in folders:
        yield from sorted(folder.rglob("*.html"))
        yield from sorted(folder.rglob("*.txt"))


def python_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def walk(nodelist) -> Iterator[Node]:
    for node in nodelist:
        yield node
        for attribute in getattr(node, "child_nodelists", ()):
            yield from walk(getattr(node, attribute, None) or [])


def context_of(node) -> str | None:
    if node.message_context is None:
        return None
    value = node.message_context.var  # a literal is parsed into the string itself
    return str(value) if isinstance(value, str) else getattr(value, "literal", None)


def template_messages(path: Path) -> Iterator[tuple[str | None, str, str | None]]:
    template = engines["django"].from_string(path.read_text(encoding="utf-8"))
    for node in walk(template.template.nodelist):
        if isinstance(node, TranslateNode):
            value = node.filter_expression.var
            literal = value if isinstance(value, str) else getattr(value, "literal", None)
            if isinstance(literal, str) and literal:
                # Looked up with % doubled, as makemessages writes it (Variable.resolve).
                yield context_of(node), literal.replace("%", "%%"), None
        elif isinstance(node, BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            plural = node.render_token_list(node.plural)[0] if node.plural else None
            if node.trimmed:
                singular = node.render_token_list(node.singular)[0]
                singular = " ".join(line.strip() for line in singular.strip().splitlines())
                if plural:
                    plural = " ".join(line.strip() for line in plural.strip().splitlines())
            yield context_of(node), singular, plural


def python_messages(path: Path) -> Iterator[tuple[str | None, str, str | None]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
        roles = GETTEXT_CALLS.get(name or "")
        if not roles or len(call.args) < len(roles):
            continue
        values = {}
        for role, argument in zip(roles, call.args, strict=False):
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                break
            values[role] = argument.value
        else:
            if values["msgid"]:
                yield values.get("context"), values["msgid"], values.get("plural")


def zh_catalogue():
    trans_real._translations = {}  # read the .mo files as they are on disk now
    return trans_real.translation("zh-hans")._catalog


def is_translated(catalogue, context: str | None, msgid: str, plural: str | None) -> bool:
    key = f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid
    if plural:
        return bool(catalogue.get((key, 0)))
    return bool(catalogue.get(key))


def missing(messages) -> list[str]:
    catalogue = zh_catalogue()
    gaps = set()
    for where, (context, msgid, plural) in messages:
        if not is_translated(catalogue, context, msgid, plural):
            gaps.add(f"{where}: {msgid!r}" + (f" (context {context!r})" if context else ""))
    return sorted(gaps)


def test_the_parser_sees_both_kinds_of_template_tags(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}{% if x %}{% translate "Cart" %}{% endif %}'
        "{% blocktranslate trimmed with n=3 %}\n  {{ n }} items\n  left{% endblocktranslate %}"
        '{% translate "Mine" context "menu" %}{% translate "80 % line" %}'
    )
    assert list(template_messages(page)) == [
        (None, "Cart", None),
        (None, "%(n)s items left", None),
        ("menu", "Mine", None),
        (None, "80 %% line", None),
    ]


def test_the_parser_sees_gettext_calls(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from django.utils.translation import gettext_lazy as _, pgettext\n"
        'A = _("Order")\nB = pgettext("verb", "Order")\nC = _(name)\n'
    )
    assert list(python_messages(module)) == [(None, "Order", None), ("verb", "Order", None)]


@pytest.mark.parametrize(
    ("label", "files", "reader"),
    [("templates", template_files, template_messages), ("code", python_files, python_messages)],
)
def test_every_user_facing_string_has_its_chinese_translation(label, files, reader):
    messages = [(path.relative_to(ROOT), message) for path in files() for message in reader(path)]
    assert len(messages) > 500, f"too few {label} strings found: the parser is broken"
    gaps = missing(messages)
    assert not gaps, f"{len(gaps)} {label} strings lack a zh-hans translation:\n" + "\n".join(gaps)


def test_a_string_nobody_translated_is_caught():
    catalogue = zh_catalogue()
    assert is_translated(catalogue, None, "Cart", None)
    assert not is_translated(catalogue, None, "A sentence no catalogue has translated", None)
