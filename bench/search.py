"""Search benchmark: `search` over 1,000,000 messages on PostgreSQL, beside a plain
`ILIKE '%…%'` scan of the same rows in the same run.

Makes a fresh database (the read-model migrations only), then writes the rows **directly**
into the search read model's table `read.search_documents` (and the inbox's `read.messages`,
which the search joins for a match's place in its dialog) with binary COPY — not through the
event store and the projector, which would take an hour for a million messages. The texts are
Russian and English words drawn with a Zipf distribution from a vocabulary (so some words are
everywhere, most are rare), some with a phone number in them; each document's terms are
computed as the projection does (`domain.search.terms_of`, cached per word). The GIN index is
built after the load, then `VACUUM ANALYZE`.

Then times, with a warm cache:
  * search:   `projections.search.search` as the GraphQL field runs it (the first page of 20
              dialogs with their newest matches and fragments), for an admin (everything) and
              for an operator (the dialogs delivered to them: a tenth), over a mix of queries:
              a vocabulary word in some form, two words, a client's number in another spelling,
              a client's name;
  * baseline: the same first page found by `text ILIKE '%word%'` over the same rows (the
              naive way: no index can help), fewer queries (each scans everything).

    .venv/bin/python bench/search.py [--messages 1000000] [--dialogs 50000] [--queries 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from domain.routing import stem  # noqa: E402
from domain.search import parse_search, terms_of  # noqa: E402
from infra.migrations import migrate  # noqa: E402
from infra.settings import Settings  # noqa: E402
from projections import search as view  # noqa: E402

PG = "host=127.0.0.1 port=5432 user=postgres"


def listed(words: str) -> list[str]:
    return words.split()


RUSSIAN = listed("заказ доставка возврат оплата счёт товар курьер адрес договор скидка карта чек "
           "магазин посылка отмена замена гарантия ремонт консультация менеджер документ "
           "накладная сертификат подарок бонус акция кредит рассрочка претензия отзыв жалоба "
           "размер цвет модель склад наличие самовывоз упаковка инструкция установка подключение "
           "тариф абонемент пароль аккаунт приложение уведомление звонок встреча запись")
ENDINGS = ("", "а", "у", "ом", "ы", "ов", "ам", "ами", "ах", "е")
ENGLISH = listed("order delivery refund payment invoice product courier address contract "
                 "discount "
           "card receipt store parcel cancel replace warranty repair support manager document "
           "certificate gift bonus promo credit complaint review size color model stock pickup "
           "package manual install connect plan subscription password account app notice call "
           "meeting booking")
FIRST = listed("Анна Борис Виктор Галина Дмитрий Елена Иван Мария Ольга Пётр John Mary Kate Tom")
LAST = listed("Иванов Петров Сидоров Смирнов Кузнецов Попов Соколов Smith Brown Taylor")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Real words in their forms, and made-up ones (product codes, names of things) to make
    up `size`; most of them rare once drawn with Zipf weights."""
    words = [w + e for w in RUSSIAN for e in ENDINGS] + ENGLISH + [w + "s" for w in ENGLISH]
    letters = "абвгдежзиклмнопрстуфхцчшэюя"
    while len(words) < size:
        words.append("".join(rng.choice(letters) for _ in range(rng.randint(5, 9))))
    rng.shuffle(words)
    return words


def phone(i: int) -> str:
    return f"+7916{i:07d}"


def spellings(e164: str) -> list[str]:
    d = e164[2:]
    return [f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", "8" + d, d, f"+7 {d[:3]} {d[3:]}"]


def fill(url: str, messages: int, dialogs: int, rng: random.Random) -> tuple[list[str], float]:
    """Writes the documents and messages; returns the vocabulary and the seconds taken."""
    words = vocabulary(20_000, rng)
    weights = [1 / (rank + 1) ** 1.07 for rank in range(len(words))]
    stems = {w: stem(w.casefold().replace("ё", "е")) for w in words}
    dialog_ids = [uuid.uuid4() for _ in range(dialogs)]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    columns = [c.name for c in view.documents.c]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS read.ix_search_documents_terms")
        with conn.cursor() as cursor, cursor.copy(
                f"COPY read.search_documents ({', '.join(columns)}) FROM STDIN") as copy:
            for i, dialog_id in enumerate(dialog_ids):  # the clients
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                copy.write_row((dialog_id, i + 1, "client", dialog_id, uuid.uuid4(), "waha",
                                None, name, phone(i), "", "", False, t0, i + 1,
                                terms_of(name, phone(i))))
            drawn = rng.choices(words, weights, k=messages * 8)
            for n in range(messages):
                k = dialogs + n + 1
                own = drawn[n * 8:n * 8 + rng.randint(3, 8)]
                text = " ".join(own)
                terms = {stems[w] for w in own}
                if n % 50 == 0:  # a number written in the message
                    number = spellings(phone(rng.randrange(dialogs)))[n % 4]
                    text += f", звоните {number}"
                    terms = set(terms_of(text).split())
                copy.write_row((uuid.uuid5(uuid.NAMESPACE_OID, str(n)),
                                k, "message", dialog_ids[n % dialogs], None, None,
                                "in" if n % 3 else "out", text, None, "", "", False,
                                t0 + timedelta(seconds=n), k, " ".join(sorted(terms))))
        with conn.cursor() as cursor, cursor.copy(
                "COPY read.messages (id, dialog_id, seq, direction, text, sent_at, recorded_at, "
                "from_phone) FROM STDIN") as copy:
            for n in range(messages):
                at = t0 + timedelta(seconds=n)
                copy.write_row((uuid.uuid5(uuid.NAMESPACE_OID, str(n)), dialog_ids[n % dialogs],
                                n // dialogs + 1, "in", "", at, at, False))
        operator = uuid.UUID(int=1)
        conn.execute("INSERT INTO read.routing_access_members VALUES (%s, now())", (operator,))
        with conn.cursor() as cursor, cursor.copy(
                "COPY read.dialog_recipients (dialog_id, operator_id, read_up_to, unread, "
                "position) FROM STDIN") as copy:
            for i, dialog_id in enumerate(dialog_ids):
                if i % 10 == 0:
                    copy.write_row((dialog_id, operator, 0, 0, i))
        loaded = time.perf_counter() - started
        print(f"loaded {messages:,} messages and {dialogs:,} clients in {loaded:.1f} s "
              f"({messages / loaded:,.0f} rows/s)")
        started = time.perf_counter()
        conn.execute("CREATE INDEX ix_search_documents_terms ON read.search_documents "
                     "USING gin (to_tsvector('simple'::regconfig, terms))")
        print(f"GIN index built in {time.perf_counter() - started:.1f} s")
        conn.execute("VACUUM ANALYZE read.search_documents")
        conn.execute("VACUUM ANALYZE read.messages")
        conn.execute("VACUUM ANALYZE read.dialog_recipients")
    return words[:2000], loaded


def queries(words: list[str], dialogs: int, count: int, rng: random.Random) -> list[str]:
    """A mix: a word in another form, two words, a number in another spelling, a name."""
    made = []
    for i in range(count):
        kind = i % 5
        if kind in (0, 1):
            made.append(rng.choice(words))
        elif kind == 2:
            made.append(f"{rng.choice(words[:200])} {rng.choice(words)}")
        elif kind == 3:
            made.append(rng.choice(spellings(phone(rng.randrange(dialogs)))))
        else:
            made.append(f"{rng.choice(FIRST)} {rng.choice(LAST)}")
    return made


def timed(function: Callable[[str], object], texts: list[str]) -> list[float]:
    spent = []
    for text in texts:
        started = time.perf_counter()
        function(text)
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def describe(name: str, values: list[float]) -> str:
    return (f"{name:<28} p50 {statistics.median(values):8.2f} ms   p99 {pct(values, 0.99):8.2f} "
            f"ms   max {max(values):8.2f} ms   ({len(values)} queries)")


ILIKE = sa.text("""SELECT dialog_id, max(position) AS key FROM read.search_documents
  WHERE text ILIKE :pattern OR file_name ILIKE :pattern OR caption ILIKE :pattern
     OR phone ILIKE :pattern
  GROUP BY dialog_id ORDER BY key DESC, dialog_id DESC LIMIT 21""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--dialogs", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    rng = random.Random(17)
    name = f"sb_bench_search_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        settings = Settings(env="test", database_url=url, secret_key="bench-secret",
                            simulator_secret="bench-sim", admin_password="bench-admin-1")
        migrate(settings)
        words, _ = fill(f"{PG} dbname={name}", args.messages, args.dialogs, rng)
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                                  connect_args={"options": "-c search_path=read,public"})
        texts = queries(words, args.dialogs, args.queries, rng)
        operator = uuid.UUID(int=1)
        with engine.connect() as conn:
            def search(text: str, everything: bool = True) -> int:
                page = view.search(conn, parse_search(text), operator_id=operator,
                                   everything=everything, first=20)
                return len(page.results)

            def scan(text: str) -> int:
                return len(conn.execute(ILIKE, {"pattern": f"%{text}%"}).all())

            timed(search, texts[:30])  # warm
            found = sum(search(t) > 0 for t in texts)
            admin = timed(search, texts)
            operator_times = timed(lambda t: search(t, everything=False), texts)
            words_only = [t for i, t in enumerate(texts) if i % 5 in (0, 1)]
            frequent = [words[i] for i in range(10)]
            frequent_times = timed(search, frequent * 3)
            baseline = timed(scan, [t for t in texts if " " not in t][:args.baseline_queries])
        print(f"{found} of {len(texts)} queries found something")
        print(describe("search (admin: everything)", admin))
        print(describe("search (operator: a tenth)", operator_times))
        print(describe("search, the 10 most frequent", frequent_times))
        print(describe("ILIKE scan (baseline)", baseline))
        ratio = statistics.median(baseline) / statistics.median(admin)
        tail = pct(baseline, 0.99) / pct(admin, 0.99)
        print(f"p50 baseline / search: {ratio:.0f}x; p99: {tail:.0f}x "
              f"(one-word queries: {len(words_only)})")
        engine.dispose()
    finally:
        if not args.keep:
            with psycopg.connect(PG + " dbname=postgres", autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = %s", (name,))
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
