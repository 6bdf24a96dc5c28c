"""Every text the panel shows comes from its catalogues: a browser walks every page of the panel
in Russian as an admin, an operator and an auditor, with data in every list (dialogs, a
colleague chat, quick replies, labels, a routing rule, the setup wizard with a refused
phonebook row and a failed PBX check, the sync schedule, the audit trail), and fails on any
visible word in Latin letters that is neither data the test seeded (clients' texts, names,
logins, addresses) nor a proper name; the same walk in English fails on any Cyrillic word.

What the walk reads on each page: `document.body.innerText` and the `title`, `aria-label` and
`placeholder` of every visible element. The pages are listed once, in `WALK` (admin sections
come from the panel's own list, so a new section joins the walk by itself)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from domain.ids import operator_id
from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.setup_helpers import autoconfig_code, closed_address

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]
ROOT = Path(__file__).resolve().parents[2]
AUDREY = ("audrey", "audrey-pass-1")

# Proper names and technical names that stay as they are in every language.
PROPER_NAMES = ("Switchboard", "WhatsApp", "Telegram", "MikoPBX", "1С", "1C", "WAHA", "Cloud API",
                "Meta", "NATS", "REST", "HTTPS", "HTTP", "URL", "QR", "SMTP", "CSV", "JSON",
                "vCard", "E.164", "ID", "API", "PBX", "AMI", "cron", "Cron", "Enter", "Esc",
                "Ctrl", "Shift", "Tab", "IP", "mon-fri", "switchboard analytics export",
                "base64", "ipset", "nats_password", "WebP", "PNG", "UTC")

# What the test seeds, in both scripts: data the panel shows as it is.
CLIENTS = (("+79161230001", "Ivan Petrov", "Where is my parcel?"),
           ("+79161230002", "Анна Смирнова", "Здравствуйте, когда доставка?"))
LABEL = "VIP"
QUICK = ("thanks", "Thank you for writing to us!")
RULE = ("Refunds", "refund")
CHAT_TEXT = "Olga, can you take the parcel question?"
PHONEBOOK = [{"name": "Ivan Petrov", "company": "Acme Trading", "phones": ["+79160000001"]},
             {"name": "", "phones": ["+79160000002"]}]
PUBLICATION = ("https://1c.example.com", "trade")
EMAIL = "boss@example.com"
CRON = "*/15 9-18 * * 1-5"
DATA = (*[part for client in CLIENTS for part in client], LABEL, *QUICK, *RULE, CHAT_TEXT,
        "Acme Trading", *PUBLICATION, EMAIL, CRON, "Olga", "Audrey", "Administrator",
        ADMIN[0], OLGA[0], AUDREY[0], "olga", "admin", "audrey",
        "@acme_support_bot", "simulator",  # the fake bot's name, the simulated phone's device
        "sample")  # the publication the development start sets (infra/setup_services.py)
# Avatars show the initials of the names above.
INITIALS = ("IP", "АС", "O", "A", "SB")
# Elements whose text is data shown as it is: a mail as it was sent (the development outbox).
DATA_ELEMENTS = ".outbox-mail"


def admin_sections(name: str) -> list[str]:
    """A list of sections exported by the panel's admin page (`SECTIONS`, `AUDITOR_SECTIONS`)."""
    source = (ROOT / "api/panel/static/pages/admin.mjs").read_text()
    found = re.search(rf"\b{name}\s*=\s*\[([^\]]*)\]", source)
    assert found, f"{name} is no longer in admin.mjs"
    return re.findall(r"\"([\w-]+)\"", found.group(1))


def top_routes() -> list[str]:
    """Every top-level route the router knows besides the admin area and the dialogs."""
    routes = ["/", "/colleagues", "/quick-replies"]
    source = (ROOT / "api/panel/static/lib/router.mjs").read_text()
    for extra in ("/people", "/dialogs-all", "/all-dialogs", "/supervisor"):  # pages being added
        if f'"{extra}"' in source or f"\\{extra}" in source:
            routes.append(extra)
    return routes


def walk(role: str) -> list[str]:
    """The pages one role walks: `{dialog}` and `{chat}` are filled in with seeded ids."""
    pages = [*top_routes(), "/dialogs/{dialog}"]
    if role == "operator":
        return [*pages, "/colleagues/{chat}", "/admin"]
    sections = admin_sections("SECTIONS" if role == "admin" else "AUDITOR_SECTIONS")
    extra = ["/colleagues/{chat}"] if role == "admin" else []
    return [*pages, *extra, "/admin", *[f"/admin/{s}" for s in sections]]


WALK = {"admin": ADMIN, "operator": OLGA, "auditor": AUDREY}


# -- seeding -------------------------------------------------------------------------------
LOGIN = """mutation($l: String!, $p: String!) { login(login: $l, password: $p) {
  ... on LoginSuccess { token } ... on LoginError { code } } }"""


class Api:
    def __init__(self, server: PanelServer, who: tuple[str, str]) -> None:
        self.server = server
        self.token = ""
        self.token = self(LOGIN, l=who[0], p=who[1])["login"]["token"]

    def __call__(self, query: str, **variables: Any) -> Any:
        answer = httpx.post(f"{self.server.url}/graphql",
                            json={"query": query, "variables": variables},
                            headers={"authorization": f"Bearer {self.token}"} if self.token
                            else {}, timeout=30).json()
        assert not answer.get("errors"), answer
        return answer["data"]


def seed(server: PanelServer) -> dict[str, str]:
    """Data in every list; answers the ids the walk needs."""
    admin = Api(server, ADMIN)
    olga_id = str(operator_id(OLGA[0]))
    for phone, name, text in CLIENTS:
        server.send(phone, text, name)
    edges = admin("{ inbox(first: 10) { edges { node { id } } } }")["inbox"]["edges"]
    dialog = edges[0]["node"]["id"]

    label = admin("""mutation($n: String!) { createLabel(name: $n, color: "purple") {
        ... on LabelSuccess { label { id } } ... on UserError { code message } } }""",
                  n=LABEL)["createLabel"]["label"]["id"]
    for edge in edges:
        admin("""mutation($d: ID!, $l: [ID!]!) { setDialogLabels(dialogId: $d, labelIds: $l) {
            __typename } }""", d=edge["node"]["id"], l=[label])
    admin("""mutation($s: String!, $t: String!) { createQuickReply(shortcut: $s, text: $t,
        shared: true) { __typename } }""", s=QUICK[0], t=QUICK[1])
    admin("""mutation($r: RoutingRuleInput!) { addRoutingRule(rule: $r) { __typename } }""",
          r={"name": RULE[0], "keywords": [RULE[1]], "targetIds": [olga_id]})
    chat = admin("""mutation($c: ID!) { startDirectChat(colleagueId: $c) {
        ... on ColleagueChatSuccess { chat { id } } } }""", c=olga_id)["startDirectChat"]
    chat_id = chat["chat"]["id"]
    admin("""mutation($c: ID!, $t: String!) { postColleagueMessage(chatId: $c, text: $t) {
        __typename } }""", c=chat_id, t=CHAT_TEXT)
    admin("""mutation($c: String!) { updateSyncSettings(enabled: true, mode: CRON,
        intervalSeconds: 60, cron: $c) { __typename } }""", c=CRON)

    setup = "{ __typename ... on UserError { code message } }"
    admin(f"mutation {{ chooseSetupMode {setup} }}")
    admin(f"""mutation($u: String!, $p: String!) {{ setPublication(serverUrl: $u,
        publicationName: $p) {setup} }}""", u=PUBLICATION[0], p=PUBLICATION[1])
    admin(f"""mutation($e: String!) {{ requestRegistrationCode(email: $e) {setup} }}""", e=EMAIL)
    admin(f"mutation {{ choosePbx(pbxType: MIKOPBX, connectionSetup: AUTOMATIC) {setup} }}")
    admin(f"""mutation($c: String!) {{ applyAutoconfigCode(code: $c, scheme: BOTH_LAN)
        {setup} }}""", c=autoconfig_code([closed_address()]))
    admin(f"mutation {{ configurePbx {setup} }}")
    admin(f"""mutation($c: String!) {{ importPhonebook(format: JSON, content: $c) {setup} }}""",
          c=json.dumps(PHONEBOOK))
    return {"dialog": dialog, "chat": chat_id}


@pytest.fixture(scope="module")
def walked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PanelServer,
                                                                             dict[str, str]]]:
    """One server with data in every list, walked by every role in both languages."""
    server = PanelServer(tmp_path_factory.mktemp("languages"))
    server.cli("admin", "create", "--login", OLGA[0], "--password", OLGA[1],
               "--name", "Olga", "--role", "operator")
    server.cli("admin", "create", "--login", AUDREY[0], "--password", AUDREY[1],
               "--name", "Audrey", "--role", "auditor")
    server.start()
    try:
        yield server, seed(server)
    finally:
        server.stop()


# -- reading a page ------------------------------------------------------------------------
VISIBLE_TEXT = """selector => {
  let text = document.body.innerText;
  for (const data of document.querySelectorAll(selector)) {
    text = text.replace(data.innerText, "\\n");
  }
  const parts = [document.title, text];
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    const box = el.getBoundingClientRect();
    const hidden = el.closest("[hidden], [inert]") || getComputedStyle(el).visibility === "hidden";
    const drawn = box.width > 0 || box.height > 0 || el.closest(".visually-hidden");
    if (hidden || !drawn) continue;
    for (const name of ["title", "aria-label", "placeholder"]) {
      if (el.getAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  return parts.join("\\n");
}"""

# A word is two letters or more (a single letter is a placeholder such as "N" or an initial).
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]")
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё'\u2019-]*[А-Яа-яЁё]")
NOT_WORDS = re.compile(
    r"https?://\S+|wss?://\S+|\S+@\S+|\bsync-[0-9a-f]+\b|\+?\d[\d\s()-]{5,}\d"
    r"|\b[0-9a-f]{8}-[0-9a-f-]{27}\b"
    r"|\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b")  # addresses, numbers, ids, time zones (Europe/Moscow)


def foreign_lines(text: str, language: str) -> list[str]:
    """Lines with a word in the other language's script, after data and proper names."""
    for value in sorted((*DATA, *PROPER_NAMES), key=len, reverse=True):
        text = text.replace(value, " ")
    text = "\n".join(" " if line.strip() in INITIALS else line for line in text.splitlines())
    text = NOT_WORDS.sub(" ", text)
    word = LATIN_WORD if language == "ru" else CYRILLIC_WORD
    found = []
    for line in text.splitlines():
        if word.search(line):
            found.append(line.strip())
    # The language switch names each language in its own script.
    return [line for line in found if line not in ("English", "Русский")]


def go(page: Page, path: str) -> None:
    """In-page navigation, as a click on a link does."""
    page.evaluate("""path => { history.pushState({}, "", path);
                               dispatchEvent(new PopStateEvent("popstate")); }""", path)
    page.wait_for_load_state("networkidle")
    expect(page.locator(".muted", has_text=re.compile(r"^(Loading|Загрузка)"))).to_have_count(0)


SIGN_IN = {"en": ("Login", "Password", "Sign in", "Inbox"),
           "ru": ("Логин", "Пароль", "Войти", "Входящие")}


def sign_in(page: Page, server: PanelServer, who: tuple[str, str], language: str) -> None:
    login, password, submit, inbox = SIGN_IN[language]
    page.goto(server.url + "/")
    page.get_by_label(login).fill(who[0])
    page.get_by_label(password).fill(who[1])
    page.get_by_role("button", name=submit).click()
    expect(page.get_by_role("heading", name=inbox, level=1)).to_be_visible()


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("role", list(WALK))
def test_every_page_speaks_only_the_chosen_language(
        walked_server: tuple[PanelServer, dict[str, str]], new_page: NewPage, role: str,
        language: str) -> None:
    server, ids = walked_server
    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    sign_in(page, server, WALK[role], language)
    leaks: dict[str, list[str]] = {}
    for pattern in walk(role):
        path = pattern.format(**ids)
        go(page, path)
        if found := foreign_lines(page.evaluate(VISIBLE_TEXT, DATA_ELEMENTS), language):
            leaks[pattern] = found
    phone = new_page(locale="ru-RU" if language == "ru" else "en-US")
    phone.goto(server.url + "/phone")
    phone.wait_for_load_state("networkidle")
    if found := foreign_lines(phone.evaluate(VISIBLE_TEXT, DATA_ELEMENTS), language):
        leaks["/phone"] = found
    assert not leaks, "\n".join(f"{path}:\n  " + "\n  ".join(lines)
                                for path, lines in leaks.items())
