"""Who receives a client's message: ordered keyword rules, the first matching one wins; with none
matching, the whole employee queue. A rule whose targets have all left the access group falls
back to the queue rather than losing the message.

Matching suits clients writing in Russian and English: case, punctuation and ё/е do not matter,
and neither do word forms — every word is reduced to its stem by the Snowball stemmers of
PyStemmer (Russian for Cyrillic words, English for Latin ones), so "оплата" matches "оплатить",
"оплату" and "оплатой", "счёт" matches "счета", and "refund" matches "refunded".

Match modes (a keyword may be several words):
- any:    at least one keyword occurs; a keyword of several words occurs when all its words do,
          in any order;
- all:    every keyword occurs (each as in `any`);
- phrase: at least one keyword occurs as a phrase — its words in this order and next to each
          other (word forms still match).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from uuid import UUID

import Stemmer

from domain.errors import InvalidValue

QUEUE = "queue"
MAX_RULES = 200
MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 200
MAX_TARGETS = 50
MAX_NAME = 120

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
_local = threading.local()


class MatchMode(StrEnum):
    ANY = "any"
    ALL = "all"
    PHRASE = "phrase"


def _stemmer(language: str) -> Stemmer.Stemmer:
    """One stemmer per thread and language: the C stemmer keeps state between calls."""
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


def normalise(text: str) -> list[str]:
    """The words of a text: lower case, ё as е, without punctuation."""
    return _WORD.findall(text.casefold().replace("ё", "е"))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if _CYRILLIC.search(word):
        return str(_stemmer("russian").stemWord(word))
    if _LATIN.search(word):
        return str(_stemmer("english").stemWord(word))
    return word


def stems(text: str) -> list[str]:
    return [stem(w) for w in normalise(text)]


@dataclass(frozen=True)
class Rule:
    id: UUID
    name: str
    keywords: tuple[str, ...]
    match: MatchMode
    targets: tuple[UUID, ...]
    enabled: bool = True
    _compiled: tuple[tuple[str, ...], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        compiled = tuple(tuple(stems(k)) for k in self.keywords)
        object.__setattr__(self, "_compiled", tuple(c for c in compiled if c))

    def matches(self, message: Sequence[str]) -> bool:
        """Whether the rule matches a message given as its stems (see `stems`)."""
        if not self.enabled or not self._compiled:
            return False
        if self.match == MatchMode.PHRASE:
            return any(_contains_run(message, phrase) for phrase in self._compiled)
        present = set(message)
        found = (all(w in present for w in keyword) for keyword in self._compiled)
        return all(found) if self.match == MatchMode.ALL else any(found)


def _contains_run(message: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(tuple(message[i:i + n]) == tuple(phrase) for i in range(len(message) - n + 1))


def check_rule(
    *, name: str, keywords: Iterable[str], match: str, targets: Iterable[UUID]
) -> tuple[str, list[str], MatchMode, list[UUID]]:
    """Validates a rule as an admin wrote it; returns it cleaned up."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidValue(f"A rule's name is 1 to {MAX_NAME} characters.", field="name")
    cleaned: list[str] = []
    for keyword in keywords:
        keyword = " ".join(keyword.split())
        if not keyword:
            continue
        if len(keyword) > MAX_KEYWORD_LENGTH:
            raise InvalidValue(f"A keyword is at most {MAX_KEYWORD_LENGTH} characters.",
                               field="keywords")
        if not normalise(keyword):
            raise InvalidValue(f"The keyword '{keyword}' has no word in it.", field="keywords")
        if keyword.casefold() not in (k.casefold() for k in cleaned):
            cleaned.append(keyword)
    if not 1 <= len(cleaned) <= MAX_KEYWORDS:
        raise InvalidValue(f"A rule has 1 to {MAX_KEYWORDS} keywords or phrases.",
                           field="keywords")
    try:
        mode = MatchMode(match)
    except ValueError:
        raise InvalidValue("The match mode is any, all or phrase.", field="match") from None
    unique = list(dict.fromkeys(targets))
    if not 1 <= len(unique) <= MAX_TARGETS:
        raise InvalidValue(f"A rule has 1 to {MAX_TARGETS} target operators.", field="targets")
    return name, cleaned, mode, unique


@dataclass(frozen=True)
class Route:
    recipients: list[UUID]
    rule: str
    rule_id: UUID | None = None
    rule_name: str = ""
    fallback: bool = False

    @property
    def to_queue(self) -> bool:
        return self.rule_id is None or self.fallback


def first_match(text: str, rules: Sequence[Rule]) -> Rule | None:
    message = stems(text)
    return next((rule for rule in rules if rule.matches(message)), None)


def route(
    text: str, queue_members: Sequence[UUID], rules: Sequence[Rule] = (),
    group: Iterable[UUID] | None = None,
) -> Route:
    """The operators a message goes to. `group`, when given, is the access group: nobody outside
    it receives anything."""
    allowed = None if group is None else set(group)

    def eligible(operators: Iterable[UUID]) -> list[UUID]:
        return [o for o in dict.fromkeys(operators) if allowed is None or o in allowed]

    queue = eligible(queue_members)
    rule = first_match(text, rules)
    if rule is None:
        return Route(recipients=queue, rule=QUEUE)
    targets = eligible(rule.targets)
    if not targets:
        return Route(recipients=queue, rule=QUEUE, rule_id=rule.id, rule_name=rule.name,
                     fallback=True)
    return Route(recipients=targets, rule=str(rule.id), rule_id=rule.id, rule_name=rule.name)
