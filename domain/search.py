"""Search over conversations: what a text is found by, what a search asks for, and the fragment
that shows why something was found.

A text is found by its *terms*: every word reduced to its stem by routing's stemmer (Snowball,
Russian for Cyrillic words, English for Latin ones; case and ё/е do not matter), so "возврат"
finds "возвратом", "счета" finds "счёт" and "refund" finds "refunded". A phone number, in a
client's identity or written in a message ("+7 916 123-45-67", "8 (916) 1234567"), is also
found in every usual spelling ("+7 916…", "8 916…", "916…", "123-45-67"): a number is
indexed by its last ten and last seven digits too, and searched for by its last ten. A search
is analysed the same way, and finds what has every one of its terms. The stemming happens here,
in Python, once for both databases: PostgreSQL and SQLite index the same terms and answer
the same.

Fragments are cut from the original text around what matched, the matched words marked, so
the panel can show them with `<mark>` whatever the database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from domain.errors import DomainError
from domain.routing import stem

MAX_SEARCH = 200  # characters of a search
MAX_TERM = 64  # longer "words" (a link, base64) are not indexed: no database cuts them alike
FRAGMENT = 160  # characters of a fragment, about
LEAD = 50  # characters kept before the first match

_WORD = re.compile(r"[^\W_]+")
# 7 to 15 digits, possibly after a "+", with at most two spaces, brackets, dots or dashes
# between digits: "+7 916 123-45-67", "8 (916) 123-45-67", "123-45-67".
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s().\-]{0,2}\d){6,14}(?!\w)")


class EmptySearch(DomainError):
    code = "SEARCH_EMPTY"


class SearchTooLong(DomainError):
    code = "SEARCH_TOO_LONG"


@dataclass(frozen=True)
class Token:
    """A span of the original text and the terms it is found by."""

    start: int
    end: int
    terms: frozenset[str]


def phone_forms(digits: str) -> list[str]:
    """The terms a number is found by: its digits, its last ten (the number without its
    country code or trunk prefix: "+7 916…", "8 916…" and "916…" alike) and its last seven
    (a local number, "123-45-67")."""
    return list(dict.fromkeys([digits, digits[-10:], digits[-7:]]))


def phone_term(digits: str) -> str:
    """A number searched for: its last ten digits when it has that many, else as written."""
    return digits[-10:]


def _word_term(word: str) -> str | None:
    term = stem(word.casefold().replace("ё", "е"))
    return term if 0 < len(term) <= MAX_TERM else None


def tokens(text: str) -> Iterator[Token]:
    """The words and phone numbers of a text, in order (a number's digits are words too)."""
    found: list[Token] = []
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        found.append(Token(match.start(), match.end(), frozenset(phone_forms(digits))))
    for match in _WORD.finditer(text):
        term = _word_term(match.group())
        if term is not None:
            found.append(Token(match.start(), match.end(), frozenset((term,))))
    yield from sorted(found, key=lambda t: (t.start, -t.end))


def terms_of(*texts: str) -> str:
    """What texts are found by, as the index stores it: distinct terms, sorted, spaced."""
    return " ".join(sorted({term for text in texts for token in tokens(text)
                            for term in token.terms}))


@dataclass(frozen=True)
class Search:
    """A search as asked (`text`) and the terms a result must all have."""

    text: str
    terms: tuple[str, ...]


def parse_search(text: str) -> Search:
    """Refuses an empty search, one with no word in it, and one over `MAX_SEARCH` characters;
    a number in it is a number in any spelling, the rest are words in any form."""
    cleaned = " ".join(text.split())
    if len(cleaned) > MAX_SEARCH:
        raise SearchTooLong(f"A search is at most {MAX_SEARCH} characters ({len(cleaned)} "
                            "written).", field="text")
    terms: list[str] = []
    rest = cleaned
    for match in _PHONE.finditer(cleaned):  # a number is one term, in any spelling
        terms.append(phone_term(re.sub(r"\D", "", match.group())))
        rest = rest.replace(match.group(), " ")
    for match in _WORD.finditer(rest):
        term = _word_term(match.group())
        if term is not None:
            terms.append(term)
    if not terms:
        raise EmptySearch("Write a word or a number to search for.", field="text")
    return Search(cleaned, tuple(dict.fromkeys(terms)))


def matches(texts: Iterable[str], search: Search) -> bool:
    """Whether texts together have every term of the search (as the index decides)."""
    have = set(terms_of(*texts).split())
    return all(term in have for term in search.terms)


def marked_ranges(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """The spans of the text found by any of the terms, merged, in order."""
    wanted = set(terms)
    found: list[tuple[int, int]] = []
    if any(term.isdigit() and len(term) >= 7 for term in wanted):
        for match in _PHONE.finditer(text):
            if not wanted.isdisjoint(phone_forms(re.sub(r"\D", "", match.group()))):
                found.append(match.span())
    for match in _WORD.finditer(text):
        if _word_term(match.group()) in wanted:
            found.append(match.span())
    spans: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


Part = tuple[str, bool]  # a piece of a fragment and whether it is marked


def fragment(text: str, terms: Iterable[str], width: int = FRAGMENT,
             spans: list[tuple[int, int]] | None = None) -> list[Part]:
    """A piece of the text about `width` characters long around its first match, cut at
    spaces where it can be, "…" where it was cut, the matches marked; the text's beginning
    when nothing in it matches. `spans`: the text's `marked_ranges`, when known already."""
    if spans is None:
        spans = marked_ranges(text, terms)
    start = 0
    if spans and spans[0][0] > LEAD:
        start = spans[0][0] - LEAD
        space = text.find(" ", start, spans[0][0])
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(start + 1, spans[0][1] if spans else start), end)
        end = space if space > start else end
    parts: list[Part] = [("…", False)] if start > 0 else []
    at = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > at:
            parts.append((text[at:s], False))
        parts.append((text[s:e], True))
        at = e
    if at < end:
        parts.append((text[at:end], False))
    if end < len(text):
        parts.append(("…", False))
    return _joined(parts)


def _joined(parts: list[Part]) -> list[Part]:
    """Neighbouring pieces alike in marking as one."""
    joined: list[Part] = []
    for text, marked in parts:
        if joined and joined[-1][1] == marked:
            joined[-1] = (joined[-1][0] + text, marked)
        elif text:
            joined.append((text, marked))
    return joined
