"""The panel's two catalogues say the same things: the same keys, the plural forms each language
needs, the same {placeholders}, and every key the JavaScript asks for by name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parents[2] / "api" / "panel" / "static"
LANGUAGES = ("en", "ru")
# Intl.PluralRules(lang).resolvedOptions().pluralCategories for integers and fractions.
PLURAL_FORMS = {"en": {"one", "other"}, "ru": {"one", "few", "many", "other"}}
# Keys the code builds at run time (`error.${code}`, `role.${role}`, …): the API's codes and
# enums, and the admin sections.
BUILT_KEYS = [
    *(f"error.{code}" for code in ("INVALID_CREDENTIALS", "TOO_MANY_ATTEMPTS", "NOT_FOUND",
                                   "UNAUTHENTICATED", "FORBIDDEN", "NETWORK", "UNKNOWN")),
    *(f"role.{role}" for role in ("ADMIN", "OPERATOR", "AUDITOR")),
    *(f"lang.{lang}" for lang in LANGUAGES),
    *(f"admin.{s}{suffix}" for s in ("setup", "whatsapp", "queue", "sync", "audit", "analytics")
      for suffix in ("", ".about")),
    *(f"phone.status.{status}" for status in ("accepted", "duplicate")),
    "channel.simulator",
    *(f"reply.status.{s}" for s in ("QUEUED", "SENDING", "SENT", "DELIVERED", "READ", "PLAYED",
                                     "FAILED")),
    *(f"sync.warning.{code}" for code in ("SCHEDULER_NOT_RUNNING", "LOCK_HELD_TOO_LONG",
                                          "SYNC_OFF_WHILE_QUEUED", "QUEUED_TOO_LONG")),
    *(f"sync.mode.{mode}" for mode in ("INTERVAL", "CRON")),
]
# t("key", …), t(cond ? "a" : "b"), and the tables of keys the pages keep (label: "key").
CALL = re.compile(r"""\bt\(((?:[^()]|\([^()]*\))*)\)|\blabel:\s*("[^"]+")""")
LITERAL = re.compile(r"""["']([A-Za-z][\w-]*(?:\.[\w-]+)+)["']""")


def catalogue(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def placeholders(value: Any) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", text)}


def keys_used_in_code() -> set[str]:
    keys = set()
    for path in STATIC.rglob("*.mjs"):
        if "vendor" in path.parts:
            continue
        for call in CALL.finditer(path.read_text("utf-8")):
            keys.update(LITERAL.findall(call.group(1) or call.group(2)))
    return keys


def test_both_catalogues_have_the_same_keys() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    assert sorted(set(en) - set(ru)) == [], "missing in ru.json"
    assert sorted(set(ru) - set(en)) == [], "missing in en.json"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_is_a_non_empty_string_or_a_complete_set_of_plural_forms(lang: str) -> None:
    for key, value in catalogue(lang).items():
        if isinstance(value, dict):
            assert set(value) == PLURAL_FORMS[lang], f"{lang}: {key} has forms {sorted(value)}"
            assert all(isinstance(v, str) and v.strip() for v in value.values()), key
            assert all("{count}" in v for v in value.values()), f"{lang}: {key} lacks {{count}}"
        else:
            assert isinstance(value, str) and value.strip(), f"{lang}: {key} is empty"


def test_a_plural_in_one_language_is_a_plural_in_the_other() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    assert {k for k, v in en.items() if isinstance(v, dict)} == {
        k for k, v in ru.items() if isinstance(v, dict)}


def test_both_languages_use_the_same_placeholders() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    different = {key: (placeholders(en[key]), placeholders(ru[key]))
                 for key in en if key in ru and placeholders(en[key]) != placeholders(ru[key])}
    assert different == {}


def test_russian_plurals_say_one_few_and_many_differently() -> None:
    ru = catalogue("ru")
    assert ru["inbox.unreadDialogs"]["one"] == "{count} непрочитанный диалог"
    assert ru["inbox.unreadDialogs"]["few"] == "{count} непрочитанных диалога"
    assert ru["inbox.unreadDialogs"]["many"] == "{count} непрочитанных диалогов"
    assert [ru["dialog.messages"][form] for form in ("one", "few", "many")] == [
        "{count} сообщение", "{count} сообщения", "{count} сообщений"]


def test_every_key_the_code_asks_for_exists() -> None:
    used = keys_used_in_code()
    assert len(used) > 50, "the t(\"…\") calls were not found: has the code changed shape?"
    for lang in LANGUAGES:
        missing = sorted((used | set(BUILT_KEYS)) - set(catalogue(lang)))
        assert missing == [], f"{lang}.json lacks {missing}"
