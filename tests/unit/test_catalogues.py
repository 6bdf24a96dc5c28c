"""The panel's two catalogues say the same things: the same keys, the plural forms each language
needs, the same {placeholders}, and every key the JavaScript asks for by name."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.labels import PALETTE
from application.ports import NATS_CODES, REST_CODES
from infra.channels.telegram.channel import ELSEWHERE, NOT_CHECKED, UNEXPECTED

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "panel" / "static"

LANGUAGES = ("en", "ru")
# Intl.PluralRules(lang).resolvedOptions().pluralCategories for integers and fractions.
PLURAL_FORMS = {"en": {"one", "other"}, "ru": {"one", "few", "many", "other"}}
# Keys the code builds at run time (`error.${code}`, `role.${role}`, …): the panel's own error
# codes (the API's are collected from the code below), the API's enums, and the admin sections.
BUILT_KEYS = [
    *(f"error.{code}" for code in ("NETWORK", "BAD_RESPONSE", "UNKNOWN")),
    *(f"role.{role}" for role in ("ADMIN", "OPERATOR", "AUDITOR")),
    *(f"lang.{lang}" for lang in LANGUAGES),
    *(f"admin.{s}{suffix}" for s in ("setup", "whatsapp", "telegram", "queue", "sync", "audit",
                                      "analytics", "labels") for suffix in ("", ".about")),
    *(f"labels.color.{color}" for color in PALETTE),
    # what the Telegram card says of the channel's own codes (a gateway's have error.<CODE>)
    *(f"tg.problem.{code}" for code in (NOT_CHECKED, ELSEWHERE, UNEXPECTED)),
    *(f"phone.status.{status}" for status in ("accepted", "duplicate")),
    "channel.simulator",
    *(f"reply.status.{s}" for s in ("QUEUED", "SENDING", "SENT", "DELIVERED", "READ", "PLAYED",
                                     "FAILED")),
    *(f"sync.warning.{code}" for code in ("SCHEDULER_NOT_RUNNING", "LOCK_HELD_TOO_LONG",
                                          "SYNC_OFF_WHILE_QUEUED", "QUEUED_TOO_LONG")),
    *(f"sync.mode.{mode}" for mode in ("INTERVAL", "CRON")),
    # what the setup wizard's PBX check says of each part of an address and its codes
    *(f"setup.check.part.{part}" for part in ("rest", "nats")),
    *(f"setup.check.code.{code}" for code in (*REST_CODES, *NATS_CODES)),
]
# t("key", …), t(cond ? "a" : "b"), and the tables of keys the pages keep (label: "key").
CALL = re.compile(r"""\bt\(((?:[^()]|\([^()]*\))*)\)|\blabel:\s*("[^"]+")""")
LITERAL = re.compile(r"""["']([A-Za-z][\w-]*(?:\.[\w-]+)+)["']""")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _literal(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):  # a module's constant, e.g. code=OUTSIDE_WINDOW
        return constants.get(node.id)
    return None  # built at run time (e.g. the Graph API's own numbers): the message shows


def error_codes_the_api_returns() -> set[str]:
    """Every code a refusal can carry to the panel, from where the codes are made:
    - the `code` of every exception class in domain/ and application/ (DomainError and its
      subclasses, which resolvers answer with `UserError.of`, and the application's own, such
      as the sign-in and registration-code refusals);
    - `GatewayError(code=...)` raised by the gateways and services (the WhatsApp mutations
      answer a gateway's refusal with its code), and GatewayError's default code;
    - `UserError(code=...)` and `{"code": ...}` written in api/ (resolvers, permissions, the
      upload route)."""
    for package in ("domain", "application"):
        for module in pkgutil.walk_packages([str(ROOT / package)], f"{package}."):
            importlib.import_module(module.name)
    codes = {vars(cls)["code"] for cls in _subclasses(Exception)
             if cls.__module__.split(".")[0] in ("domain", "application")
             and isinstance(vars(cls).get("code"), str)}
    from application.ports import GatewayError

    codes.add(inspect.signature(GatewayError).parameters["code"].default)
    for path in (*(ROOT / "api").rglob("*.py"), *(ROOT / "application").rglob("*.py"),
                 *(ROOT / "infra").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        constants = {target.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            found: list[ast.expr] = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("GatewayError", "UserError"):
                found = [k.value for k in node.keywords if k.arg == "code"]
            elif isinstance(node, ast.Dict) and path.is_relative_to(ROOT / "api"):
                found = [v for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and k.value == "code"]
            codes.update(c for c in (_literal(v, constants) for v in found) if c)
    return codes


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


def test_the_codes_are_collected_from_where_the_api_makes_them() -> None:
    codes = error_codes_the_api_returns()
    assert {"NOT_FOUND", "NOT_IN_ACCESS_GROUP", "NOT_CLAIMABLE", "WRONG_CODE", "MAIL_FAILED",
            "INVALID_CREDENTIALS", "GATEWAY_ERROR", "GATEWAY_UNREACHABLE",
            "OUTSIDE_REPLY_WINDOW", "UNAUTHENTICATED", "FORBIDDEN"} <= codes


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_error_code_the_api_can_return_is_translated(lang: str) -> None:
    texts = catalogue(lang)
    missing = sorted(code for code in error_codes_the_api_returns()
                     if f"error.{code}" not in texts)
    assert missing == [], f"{lang}.json lacks error.<CODE> for {missing}"


def phone_refusals() -> set[str]:
    """The codes the simulated phones refuse with: the WhatsApp phone's (PhoneRefused) and the
    Telegram phone's (its REFUSALS)."""
    from api.telegram_phone import REFUSALS

    sources = (ROOT / "infra" / "channels" / "simulator" / "gateway.py",
               ROOT / "api" / "simulator.py")
    whatsapp = {code for source in sources for code in re.findall(
        r'PhoneRefused\([^)]*?"([A-Z_]+)"\)', source.read_text(), flags=re.S)}
    return whatsapp | set(REFUSALS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_refusal_of_the_simulated_phones_is_translated(lang: str) -> None:
    codes = phone_refusals()
    assert {"NOT_LINKED", "WRONG_PAIRING_CODE", "TELEGRAM_NOT_SIMULATED", "EMPTY_TEXT"} <= codes
    texts = catalogue(lang)
    missing = sorted(code for code in codes if f"phone.refused.{code}" not in texts)
    assert missing == [], f"{lang}.json lacks phone.refused.<CODE> for {missing}"


def rules_the_api_names() -> set[str]:
    """Every `rule="…"` a refusal is raised with (domain, application, infra, api)."""
    rules = set()
    for package in ("domain", "application", "infra", "api"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Call):
                    rules.update(k.value.value for k in node.keywords if k.arg == "rule"
                                 and isinstance(k.value, ast.Constant)
                                 and isinstance(k.value.value, str) and k.value.value)
    return rules


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_rule_a_refusal_names_is_said_in_both_languages(lang: str) -> None:
    rules = rules_the_api_names()
    assert {"AUTOCONFIG_NOT_BASE64", "EXTENSION_TAKEN"} <= rules
    missing = sorted(rule for rule in rules if f"validation.{rule}" not in catalogue(lang))
    assert missing == [], f"{lang}.json lacks validation.<RULE> for {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_whatsapp_reason_code_and_system_actor_is_said_in_both_languages(lang: str) -> None:
    from api.graphql.channel import reasons

    codes = {code for code, _ in (*reasons._SENTENCES, *reasons._WRAPPERS)} | {"GATEWAY",
                                                                                "EMPTY"}
    actors = set()
    for package in ("domain", "application", "infra", "api", "projections"):
        for path in (ROOT / package).rglob("*.py"):
            actors.update(re.findall(r'"system:([a-z-]+)"', path.read_text("utf-8")))
    wanted = {f"wa.reason.{code}" for code in codes} | {f"actor.system.{a}" for a in actors} \
        | {"actor.system", "actor.cli"}
    assert sorted(wanted - set(catalogue(lang))) == []
