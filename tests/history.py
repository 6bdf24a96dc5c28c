"""A realistic generated history, for the analytics read models, `verify`, the panel and the
rebuild benchmark: days of clients writing, operators on shifts (online, away at lunch, offline),
routing rules matched and changed, distribution switched between everybody / evenly / in order,
an operator leaving the access group and coming back, claims, transfers, resolutions, reopened
and returning clients, an operator writing first, a WhatsApp identity merged into a number, and
outgoing messages through the whole delivery path: claimed, sent, retried after gateway errors,
given up, refused by the 24-hour rule, reported delivered and read (out of order, twice, before
the send was recorded, failed), and retried by operators.

Everything goes through the real command handlers and the group-commit writer, on a simulated
clock (commands carry their times). The generator keeps a `Ledger`: what it did and saw, in its
own terms, so tests can check the analytics tables against it rather than against themselves.

    history = generate(container, Plan(days=5, dialogs_per_day=60))
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application import commands as c
from application import outbox as ob
from application import routing as r
from application.channel import MergeClientIdentity, UpdateMessengerSettings
from application.ports import DeliveryReport
from domain.dialogs import Dialog
from domain.errors import DomainError
from domain.failures import RetryPolicy
from domain.ids import client_id, message_id, natural_id, operator_id
from domain.operators import Role
from domain.outbox import outgoing_id

CHANNEL = "simulator"
WORKER = "history-sync"
POLICY = RetryPolicy(max_attempts=3, first_delay_seconds=2.0, max_delay_seconds=300.0)
REOPEN_WINDOW_HOURS = 2
IDLE_TIMEOUT = 120
OPERATOR_PASSWORD = "operator-pass-1"

TEXTS = {
    "billing": ["Добрый день! Где счёт на оплату за март?", "Не прошла оплата картой",
                "Пришлите, пожалуйста, счёт"],
    "delivery": ["Когда будет доставка заказа?", "Where is my delivery? It is late",
                 "Курьер не приехал, доставка сорвалась"],
    "refund": ["I want a refund for the broken kettle", "Хочу оформить возврат товара",
               "How long does a refund take?"],
    "other": ["Здравствуйте, у вас есть самовывоз?", "Hello, are you open on Sunday?",
              "Подскажите режим работы", "Можно поговорить с менеджером?",
              "Спасибо за помощь!"],
}
FOLLOW_UPS = ["Спасибо, жду", "А когда?", "Ok, thanks", "Понял, спасибо!", "Уточните, пожалуйста",
              "Хорошо", "И ещё вопрос: у вас есть скидки?"]
REPLIES = ["Здравствуйте! Сейчас проверю.", "Good afternoon, let me check.",
           "Счёт отправили на почту.", "Заказ передан курьеру, ожидайте сегодня.",
           "Возврат оформлен, деньги придут за 3-5 дней.", "Мы работаем ежедневно с 9 до 21.",
           "Спасибо за обращение!"]
RULES = (("Billing", ("оплата", "счёт"), "billing"), ("Delivery", ("доставка", "delivery"),
                                                      "delivery"),
         ("Refunds", ("refund", "возврат"), "refund"))


@dataclass(frozen=True)
class Plan:
    days: int = 5
    dialogs_per_day: int = 60
    operators: int = 5
    start: date = date(2026, 3, 2)  # a Monday
    timezone: str = "Europe/Moscow"
    seed: int = 8
    clients: int = 0  # 0: about as many as dialogs, so some return
    auditor: bool = True  # also register an auditor ("auditor" / OPERATOR_PASSWORD)


# -- what happened, in the generator's terms ---------------------------------------------------
@dataclass
class MessageFact:
    id: UUID
    dialog_id: UUID
    direction: str
    day: date
    length: int
    client_id: UUID | None = None
    operator_id: UUID | None = None
    received_at: datetime | None = None
    queued_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None
    status: str = "received"
    attempts: int = 0
    retries: int = 0
    failure_code: str | None = None


@dataclass
class DialogFact:
    id: UUID
    client_id: UUID
    opened_by: str
    opened_at: datetime
    day: date
    routed_to: str | None = None
    rule_id: UUID | None = None
    fallback: bool = False
    targets: frozenset[UUID] = frozenset()
    first_message_at: datetime | None = None
    first_response_at: datetime | None = None
    first_responder: UUID | None = None
    transfers: int = 0
    messages_in: int = 0
    messages_out: int = 0
    resolved_at: datetime | None = None
    resolved_by: UUID | None = None
    reopened: int = 0
    waiting_seconds: float | None = None  # known where operators claimed explicitly


@dataclass
class Ledger:
    zone: ZoneInfo
    start: datetime
    end: datetime
    operators: dict[str, UUID] = field(default_factory=dict)
    messages: dict[UUID, MessageFact] = field(default_factory=dict)
    dialogs: dict[UUID, DialogFact] = field(default_factory=dict)
    online: defaultdict[tuple[UUID, datetime], float] = field(
        default_factory=lambda: defaultdict(float))
    sends: list[tuple[date, float]] = field(default_factory=list)  # (day, queued->sent seconds)
    delivery: defaultdict[date, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter))
    failures: Counter[tuple[date, str, str]] = field(default_factory=Counter)
    duplicates: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # commands refused, by error code
    merged: dict[UUID, UUID] = field(default_factory=dict)

    def day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def hour(self, instant: datetime) -> datetime:
        local = instant.astimezone(self.zone)
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)

    def add_online(self, operator: UUID, since: datetime, until: datetime) -> None:
        """Splits a stretch online over the business hours it covers."""
        cursor = self.hour(since)
        while cursor < until:
            following = cursor + timedelta(hours=1)
            overlap = (min(until, following) - max(since, cursor)).total_seconds()
            if overlap > 0:
                self.online[(operator, cursor)] += overlap
            cursor = following

    @property
    def messages_in(self) -> int:
        return sum(1 for m in self.messages.values() if m.direction == "in")

    @property
    def messages_out(self) -> int:
        return sum(1 for m in self.messages.values() if m.direction == "out")


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks, written out independently of the app's."""
    if not values:
        return None
    s = sorted(values)
    position = q * (len(s) - 1)
    below = int(position)
    above = min(below + 1, len(s) - 1)
    return s[below] + (s[above] - s[below]) * (position - below)


# -- the generator ---------------------------------------------------------------------------
Step = Iterator[float]


@dataclass
class _Operator:
    login: str
    id: UUID
    connection: UUID | None = None
    away: bool = False
    online_since: datetime | None = None
    in_group: bool = True


class HistoryGenerator:
    def __init__(self, container: Any, plan: Plan) -> None:
        self.container = container
        self.writer = container.writer
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.zone = ZoneInfo(plan.timezone)
        first = datetime.combine(plan.start, time(7, 0), self.zone).astimezone(UTC)
        last = datetime.combine(plan.start + timedelta(days=plan.days), time(0, 0),
                                self.zone).astimezone(UTC)
        self.now = first - timedelta(hours=1)
        self.ledger = Ledger(zone=self.zone, start=first, end=last)
        self.heap: list[tuple[datetime, int, Step]] = []
        self.seq = 0
        self.pending: list[tuple[Future[Any], Callable[[Any], None] | None,
                                 Callable[[DomainError], None] | None]] = []
        self.operators: list[_Operator] = []
        self.admin = operator_id(container.settings.admin_login)
        self.queue: list[UUID] = []
        self.rules: dict[str, dict[str, Any]] = {}
        self.mode = "everybody"
        self.phones: list[str] = []
        self.busy: set[str] = set()
        self.counter = 0

    # -- running commands ----------------------------------------------------------------------
    def send(self, command: object, ok: Callable[[Any], None] | None = None,
             refused: Callable[[DomainError], None] | None = None) -> None:
        """Submits without waiting; `ok` or `refused` runs, in order, when it is settled."""
        self.pending.append((self.writer.submit(command), ok, refused))
        if len(self.pending) >= 400:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for future, ok, refused in pending:
            try:
                result = future.result(timeout=120)
            except DomainError as error:
                self.ledger.refused[error.code] += 1
                if refused is not None:
                    refused(error)
                continue
            if ok is not None:
                ok(result)

    def run(self, command: object) -> Any:
        self.flush()
        return self.writer.execute_sync(command)

    def dialog(self, dialog_id: UUID) -> Dialog:
        """The dialog as it is now (after everything submitted so far)."""
        self.flush()
        aggregate: Dialog = self.container.store.repository.get(dialog_id)
        return aggregate

    def spawn(self, step: Step, delay: float = 0.0) -> None:
        heapq.heappush(self.heap, (self.now + timedelta(seconds=delay), self.seq, step))
        self.seq += 1

    def local(self, day: int, hour: float) -> datetime:
        base = datetime.combine(self.plan.start + timedelta(days=day), time(0, 0), self.zone)
        return (base + timedelta(hours=hour)).astimezone(UTC)

    def at(self, when: datetime, step: Step) -> None:
        heapq.heappush(self.heap, (when, self.seq, step))
        self.seq += 1

    def key(self) -> str:
        self.counter += 1
        return f"h{self.plan.seed}-{self.counter}"

    # -- the whole history -----------------------------------------------------------------------
    def generate(self) -> Ledger:
        self.setup()
        for day in range(self.plan.days):
            self.schedule_day(day)
        while self.heap:
            when, _, step = heapq.heappop(self.heap)
            self.now = max(self.now, when)
            try:
                delay = next(step)
            except StopIteration:
                continue
            self.spawn(step, delay)
        self.flush()
        self.finish()
        return self.ledger

    def setup(self) -> None:
        actor = "admin"
        self.run(UpdateMessengerSettings(in_service=True, employees_may_write_first=True,
                                         actor=actor))
        password = self.container.hasher.hash(OPERATOR_PASSWORD)
        for i in range(self.plan.operators):
            login = f"op{i + 1}"
            oid = self.run(c.RegisterOperator(login=login, display_name=f"Operator {i + 1}",
                                              role=Role.OPERATOR, password_hash=password,
                                              actor=actor))
            self.run(r.AddAccessMember(operator_id=oid, actor=actor))
            self.run(c.AddQueueMember(operator_id=oid, actor=actor))
            self.operators.append(_Operator(login, oid))
            self.ledger.operators[login] = oid
            self.queue.append(oid)
        if self.plan.auditor:
            self.run(c.RegisterOperator(login="auditor", display_name="Auditor",
                                        role=Role.AUDITOR, password_hash=password,
                                        actor=actor))
        self.run(c.RemoveQueueMember(operator_id=self.admin, actor=actor))
        self.run(r.ConfigureDistribution(mode="everybody", idle_timeout_seconds=IDLE_TIMEOUT,
                                         capacity=0, reopen_window_hours=REOPEN_WINDOW_HOURS,
                                         at=self.now, actor=actor))
        ops = [o.id for o in self.operators]
        targets = {"billing": ops[:2], "delivery": ops[2:3], "refund": ops[3:4]}
        for name, keywords, category in RULES:
            rule_id = natural_id("history-rule", f"{self.plan.seed}:{name}")
            self.run(r.AddRoutingRule(rule_id=rule_id, name=name, keywords=keywords,
                                      match="any", targets=tuple(targets[category]),
                                      enabled=True, actor=actor))
            self.rules[category] = {"id": rule_id, "name": name, "targets": targets[category],
                                    "enabled": True}
        count = self.plan.clients or self.plan.days * self.plan.dialogs_per_day
        self.phones = [f"+7916{self.plan.seed:02d}{i:05d}" for i in range(count)]

    def schedule_day(self, day: int) -> None:
        rng = self.rng
        for i, op in enumerate(self.operators):
            if (day + i) % 7 == 6:  # a day off
                continue
            start = self.local(day, 8 + i / 6 + rng.uniform(0, 0.2))
            lunch = self.local(day, 12 + i / 4 + rng.uniform(0, 0.2))
            self.at(start, self.shift(op, lunch - start, rng.uniform(1500, 2700),
                                      self.local(day, 17 + rng.uniform(0, 0.6)) - lunch))
        for i in range(self.plan.dialogs_per_day):
            hour = rng.uniform(8.5, 16.75) if i % 20 else rng.uniform(19, 23)  # a few late
            self.at(self.local(day, hour), self.conversation())
        for _ in range(max(1, self.plan.dialogs_per_day // 20)):
            self.at(self.local(day, rng.uniform(9, 16)), self.operator_writes_first())
        self.at(self.local(day, 7.5), self.waiting_job(day))
        self.at(self.local(day, 7.9), self.routing_changes(day))
        if day == 1:
            self.at(self.local(day, 11.2), self.merged_identity())

    # -- operators -----------------------------------------------------------------------------
    def shift(self, op: _Operator, until_lunch: timedelta, lunch_seconds: float,
              after_lunch: timedelta) -> Step:
        self.connect(op)
        yield until_lunch.total_seconds()
        self.presence(op, "away")
        yield lunch_seconds
        self.presence(op, "online")
        yield max(after_lunch.total_seconds() - lunch_seconds, 600.0)
        self.disconnect(op)

    def connect(self, op: _Operator) -> None:
        op.connection = uuid.UUID(int=self.rng.getrandbits(128))
        self.send(r.ConnectPanel(operator_id=op.id, connection_id=op.connection,
                                 replica="history", at=self.now, actor=f"operator:{op.login}"))
        self._presence_changed(op)

    def disconnect(self, op: _Operator) -> None:
        assert op.connection is not None
        self.send(r.DisconnectPanel(operator_id=op.id, connection_id=op.connection, at=self.now,
                                    actor=f"operator:{op.login}"))
        op.connection = None
        self._presence_changed(op)

    def presence(self, op: _Operator, status: str) -> None:
        self.send(r.ChoosePresence(operator_id=op.id, status=status, at=self.now,
                                   actor=f"operator:{op.login}"))
        op.away = status == "away"
        self._presence_changed(op)

    def _presence_changed(self, op: _Operator) -> None:
        online = op.connection is not None and not op.away
        if online and op.online_since is None:
            op.online_since = self.now
        elif not online and op.online_since is not None:
            self.ledger.add_online(op.id, op.online_since, self.now)
            op.online_since = None

    def waiting_job(self, day: int) -> Step:
        """The routing job that assigns waiting dialogs (every 10 minutes in business hours)."""
        end = self.local(day, 18.5)
        while self.now < end:
            if self.mode != "everybody":
                self.send(r.AssignWaitingDialogs(at=self.now))
            yield 600

    def routing_changes(self, day: int) -> Step:
        """Admins change routing during the history."""
        actor = "admin"
        ops = self.operators
        if day == 1:
            yield 5 * 3600  # 13:00
            self.configure("evenly")
        elif day == 2:
            yield 4 * 3600  # 12:00: op4, the only refunds target, leaves the access group
            self.run(r.RemoveAccessMember(operator_id=ops[3].id, at=self.now, actor=actor))
            ops[3].in_group = False
            self.queue.remove(ops[3].id)
            self.rules["refund"]["targets"] = []  # the rule stays, its target is gone
            yield 2 * 3600
            delivery = self.rules["delivery"]
            delivery["targets"] = [ops[2].id, ops[4].id]
            self.run(r.ChangeRoutingRule(rule_id=delivery["id"], name="Delivery",
                                         keywords=("доставка", "delivery", "курьер"),
                                         match="any", targets=tuple(delivery["targets"]),
                                         enabled=True, actor=actor))
        elif day == 3:
            yield 3 * 3600
            self.run(r.SwitchRoutingRule(rule_id=self.rules["refund"]["id"], enabled=False,
                                         actor=actor))
            self.rules["refund"]["enabled"] = False
        elif day == 4:
            yield 0.5 * 3600
            self.run(r.AddAccessMember(operator_id=ops[3].id, actor=actor))
            self.run(c.AddQueueMember(operator_id=ops[3].id, actor=actor))
            ops[3].in_group = True
            self.queue.append(ops[3].id)
            refund = self.rules["refund"]
            refund["targets"] = [ops[3].id]
            self.run(r.SwitchRoutingRule(rule_id=refund["id"], enabled=True, actor=actor))
            refund["enabled"] = True
            yield 3 * 3600
            self.configure("in_order")

    def configure(self, mode: str) -> None:
        self.run(r.ConfigureDistribution(mode=mode, idle_timeout_seconds=IDLE_TIMEOUT,
                                         capacity=0, reopen_window_hours=REOPEN_WINDOW_HOURS,
                                         at=self.now, actor="admin"))
        self.mode = mode

    # -- routing as the generator expects it -------------------------------------------------------
    def expected_route(self, category: str) -> tuple[str, UUID | None, bool, frozenset[UUID]]:
        group = {o.id for o in self.operators if o.in_group} | {self.admin}
        queue = frozenset(o for o in self.queue if o in group)
        for name, _, rule_category in RULES:
            rule = self.rules[rule_category]
            if rule_category != category or not rule["enabled"]:
                continue
            targets = frozenset(t for t in rule["targets"] if t in group)
            if not targets:
                return "queue", rule["id"], True, queue
            return name, rule["id"], False, targets
        return "queue", None, False, queue

    # -- clients ---------------------------------------------------------------------------------
    def pick_phone(self) -> str:
        free = [p for p in self.phones if p not in self.busy]
        phone = self.rng.choice(free[: max(1, len(free))])
        self.busy.add(phone)
        return phone

    def client_command(self, phone: str, text: str) -> tuple[c.ReceiveClientMessage, UUID]:
        self.counter += 1
        external = f"in-{self.plan.seed}-{self.counter}"
        return c.ReceiveClientMessage(channel=CHANNEL, external_id=external, phone=phone,
                                      name=f"Client {phone[-4:]}", text=text,
                                      sent_at=self.now), message_id(CHANNEL, external)

    def client_message(self, phone: str, text: str, *, twice: bool = False
                       ) -> tuple[Any, UUID]:
        """A client's message; waits for its answer. `twice`: the gateway delivers it again."""
        command, mid = self.client_command(phone, text)
        received = self.run(command)
        if twice:
            self.send(command, ok=self._count_duplicate)
        return received, mid

    def _count_duplicate(self, received: Any) -> None:
        assert received.duplicate, "a repeated delivery must change nothing"
        self.ledger.duplicates += 1

    def record_in(self, mid: UUID, dialog: DialogFact, text: str,
                  at: datetime | None = None) -> None:
        at = at or self.now
        if dialog.resolved_at is not None:  # within the reopen window: the episode reopens
            dialog.reopened += 1
            dialog.resolved_at = dialog.resolved_by = None
        self.ledger.messages[mid] = MessageFact(
            id=mid, dialog_id=dialog.id, direction="in", day=self.ledger.day(at),
            length=len(text), client_id=dialog.client_id, received_at=at)
        dialog.messages_in += 1
        if dialog.first_message_at is None:
            dialog.first_message_at = at

    def conversation(self) -> Step:
        rng = self.rng
        phone = self.pick_phone()
        category = rng.choices(["billing", "delivery", "refund", "other"], [30, 20, 12, 38])[0]
        text = rng.choice(TEXTS[category])
        routed_to, rule_id, fallback, targets = self.expected_route(category)
        received, mid = self.client_message(phone, text, twice=rng.random() < 0.08)
        dialog_id: UUID = received.dialog_id
        fact = self.ledger.dialogs.get(dialog_id)
        if fact is None:  # a new episode, routed by this message
            fact = DialogFact(id=dialog_id, client_id=client_id(phone), opened_by="client",
                              opened_at=self.now, day=self.ledger.day(self.now),
                              routed_to=routed_to, rule_id=rule_id, fallback=fallback,
                              targets=targets)
            self.ledger.dialogs[dialog_id] = fact
        self.record_in(mid, fact, text)  # (or a returning client's open or reopened episode)
        yield from self.talk(phone, fact)
        self.busy.discard(phone)

    def talk(self, phone: str, fact: DialogFact) -> Step:
        rng = self.rng
        for _ in range(rng.choice([0, 0, 1, 1, 2])):  # the client adds something first
            yield rng.uniform(15, 240)
            self.client_says(phone, fact, rng.choice(FOLLOW_UPS))
        yield self.response_time()
        for n in range(rng.choice([1, 1, 2, 2, 3])):
            if self.reply(fact, claim_first=n == 0 and rng.random() < 0.4) is None:
                yield 1800  # nobody could answer now: try again later
                if self.reply(fact) is None:
                    return
            yield rng.uniform(60, 900)
            self.client_says(phone, fact, rng.choice(FOLLOW_UPS))
            yield rng.uniform(30, 600)
        if rng.random() < 0.15:
            self.transfer(fact)
            yield rng.uniform(60, 600)
            if self.reply(fact) is None:
                return
        if rng.random() < 0.08:  # left open at the end of the story
            return
        yield rng.uniform(60, 1800)
        if not self.resolve(fact):
            return
        if rng.random() < 0.12:  # the client writes again within the reopen window
            yield rng.uniform(600, 0.8 * REOPEN_WINDOW_HOURS * 3600)
            self.client_says(phone, fact, rng.choice(FOLLOW_UPS))
            yield self.response_time()
            if self.reply(fact) is not None:
                yield rng.uniform(60, 900)
                self.resolve(fact)

    def client_says(self, phone: str, fact: DialogFact, text: str) -> None:
        """A client's message in a conversation's episode (not waited for)."""
        command, mid = self.client_command(phone, text)
        at = self.now

        def received(result: Any) -> None:
            assert result.dialog_id == fact.id, "a conversation stays in its episode"
            self.record_in(mid, fact, text, at)

        self.send(command, ok=received)
        if self.rng.random() < 0.05:
            self.send(command, ok=self._count_duplicate)

    def response_time(self) -> float:
        return min(self.rng.lognormvariate(4.5, 1.0), 3600.0)  # a median of about 90 s

    # -- operators at work -------------------------------------------------------------------
    def online_operators(self) -> list[UUID]:
        return [o.id for o in self.operators if o.in_group and o.connection is not None
                and not o.away]

    def in_group(self, oid: UUID | None) -> bool:
        return any(o.id == oid and o.in_group for o in self.operators)

    def login_of(self, oid: UUID) -> str:
        return next((o.login for o in self.operators if o.id == oid), "admin")

    def reply(self, fact: DialogFact, claim_first: bool = False) -> UUID | None:
        """The holder answers; with nobody holding it, a recipient takes it by answering (in
        order mode an offer that lapsed moves on first). None when nobody may answer."""
        dialog = self.dialog(fact.id)
        if dialog.resolved:
            return None
        if (self.mode == "in_order" and dialog.assignee is not None and not dialog.accepted
                and dialog.offer_lapsed(dialog.assignee, self.now)):
            self.run(r.ForwardLapsedOffer(dialog_id=fact.id, operator_id=dialog.assignee,
                                          at=self.now))
            dialog = self.dialog(fact.id)
        group = {o.id for o in self.operators if o.in_group}
        responder = dialog.assignee
        if responder is None:
            online = [o for o in self.online_operators() if o in dialog.recipients]
            candidates = online or [o for o in dialog.recipients if o in group]
            if not candidates:
                return None
            responder = self.rng.choice(sorted(candidates))
        if responder not in group:
            return None
        actor = f"operator:{self.login_of(responder)}"
        if claim_first and dialog.assignee is None:
            claimed = self.run(r.ClaimDialog(dialog_id=fact.id, operator_id=responder,
                                             at=self.now, actor=actor))
            if claimed and fact.waiting_seconds is None and self.mode == "everybody":
                fact.waiting_seconds = (self.now - fact.opened_at).total_seconds()
        elif (dialog.assignee is None and fact.waiting_seconds is None
              and self.mode == "everybody" and fact.opened_by == "client"):
            fact.waiting_seconds = (self.now - fact.opened_at).total_seconds()
        self.queue_reply(fact, responder, self.rng.choice(REPLIES))
        return responder

    def queue_reply(self, fact: DialogFact, responder: UUID, text: str) -> None:
        key = self.key()
        mid = outgoing_id(key)
        at = self.now

        def queued(result: Any) -> None:
            self.record_out(mid, fact, responder, text, at)

        self.send(ob.SendMessage(dialog_id=fact.id, operator_id=responder, text=text, key=key,
                                 at=at, actor=f"operator:{self.login_of(responder)}"),
                  ok=queued)
        self.spawn(self.deliver(mid, at), self.rng.uniform(0.5, 20))

    def record_out(self, mid: UUID, fact: DialogFact, responder: UUID, text: str,
                   at: datetime) -> None:
        self.ledger.messages[mid] = MessageFact(
            id=mid, dialog_id=fact.id, direction="out", day=self.ledger.day(at),
            length=len(text), client_id=fact.client_id, operator_id=responder, queued_at=at,
            status="queued")
        self.ledger.delivery[self.ledger.day(at)]["queued"] += 1
        fact.messages_out += 1
        if fact.first_message_at is not None and fact.first_response_at is None:
            fact.first_response_at = at
            fact.first_responder = responder

    def transfer(self, fact: DialogFact) -> None:
        dialog = self.dialog(fact.id)
        if dialog.resolved or dialog.assignee is None:
            return
        others = [o for o in self.online_operators() if o != dialog.assignee]
        if not others:
            return
        to = self.rng.choice(sorted(others))
        self.run(r.TransferDialog(dialog_id=fact.id, operator_id=dialog.assignee,
                                  to_operator_id=to, note="Please take over",
                                  at=self.now, actor=f"operator:{self.login_of(dialog.assignee)}"))
        fact.transfers += 1

    def resolve(self, fact: DialogFact) -> bool:
        dialog = self.dialog(fact.id)
        if dialog.resolved:
            return False
        group = {o.id for o in self.operators if o.in_group}
        by = dialog.assignee if dialog.assignee in group else None
        if by is None:
            recipients = [o for o in dialog.recipients if o in group]
            if not recipients:
                return False
            by = sorted(recipients)[0]
        at, holder = self.now, dialog.assignee

        def resolved(_: Any) -> None:
            fact.resolved_at = at
            fact.resolved_by = holder

        self.send(r.ResolveDialog(dialog_id=fact.id, operator_id=by, at=at,
                                  actor=f"operator:{self.login_of(by)}"), ok=resolved)
        return True

    def operator_writes_first(self) -> Step:
        online = self.online_operators()
        if not online:
            return
        op = self.rng.choice(sorted(online))
        self.counter += 1
        phone = f"+7495{self.plan.seed:02d}{self.counter:05d}"
        result = self.run(ob.StartDialog(operator_id=op, text="Здравствуйте! Ваш заказ готов.",
                                         key=f"first-{self.plan.seed}-{self.counter}",
                                         channel=CHANNEL, at=self.now,
                                         actor=f"operator:{self.login_of(op)}", phone=phone))
        fact = DialogFact(id=result.dialog_id, client_id=client_id(phone), opened_by="operator",
                          opened_at=self.now, day=self.ledger.day(self.now))
        self.ledger.dialogs[result.dialog_id] = fact
        self.record_out(result.message_id, fact, op, "Здравствуйте! Ваш заказ готов.", self.now)
        mid = result.message_id
        self.spawn(self.deliver(mid, self.now), self.rng.uniform(0.5, 20))
        yield self.rng.uniform(300, 3600)
        self.client_says(phone, fact, "Спасибо, заберу завтра")
        yield self.response_time()
        if self.reply(fact) is not None:
            yield 600
            self.resolve(fact)

    def merged_identity(self) -> Step:
        """A client known only by a WhatsApp lid writes; the number turns up later."""
        lid = f"lid:hist{self.plan.seed}x{self.counter}"
        text = "Hello, where is my order?"
        received, mid = self.client_message(lid, text)
        routed_to, rule_id, fallback, targets = self.expected_route("other")
        fact = DialogFact(id=received.dialog_id, client_id=client_id(lid), opened_by="client",
                          opened_at=self.now, day=self.ledger.day(self.now),
                          routed_to=routed_to, rule_id=rule_id, fallback=fallback,
                          targets=targets)
        self.ledger.dialogs[fact.id] = fact
        self.record_in(mid, fact, text)
        yield 120
        phone = f"+7903{self.plan.seed:02d}00001"
        assert self.run(MergeClientIdentity(identity=lid, phone=phone))
        self.ledger.merged[client_id(lid)] = client_id(phone)
        fact.client_id = client_id(phone)
        for message in self.ledger.messages.values():
            if message.client_id == client_id(lid):
                message.client_id = client_id(phone)
        yield self.response_time()
        if self.reply(fact) is not None:
            yield 300
            self.resolve(fact)

    # -- the sync job and the gateway --------------------------------------------------------
    def deliver(self, mid: UUID, queued_at: datetime) -> Step:
        """One outgoing message through the gateway, with a pattern chosen at random."""
        rng = self.rng
        pattern = rng.choices(
            ["normal", "read-first", "twice", "early", "transient", "exhausted", "window",
             "failed-report"], [62, 7, 8, 5, 9, 3, 3, 3])[0]
        ledger = self.ledger
        if mid not in ledger.messages:
            self.flush()
        fact = ledger.messages.get(mid)
        if fact is None:  # refused when queued (another operator took the dialog)
            return
        last_queued = queued_at
        attempts_left = 3 if pattern == "exhausted" else rng.choice([1, 2])
        while True:
            self.claim(mid)
            fact.attempts += 1
            fact.status = "sending"
            yield rng.uniform(0.2, 2.0)
            if pattern == "window":
                self.send(ob.RecordSendFailure(message_id=mid, worker=WORKER, code="131047",
                                               reason="Re-engagement message", retryable=False,
                                               at=self.now, policy=POLICY))
                self.failed(fact, "OUTSIDE_REPLY_WINDOW", final=True)
                return
            if pattern in ("transient", "exhausted") and attempts_left > 0:
                attempts_left -= 1
                final = fact.attempts >= POLICY.max_attempts
                self.send(ob.RecordSendFailure(message_id=mid, worker=WORKER,
                                               code="GATEWAY_UNAVAILABLE",
                                               reason="The gateway did not answer",
                                               retryable=True, at=self.now, policy=POLICY))
                self.failed(fact, "GATEWAY_UNAVAILABLE", final=final)
                if final:
                    yield rng.uniform(120, 900)  # an operator sends it again
                    if not self.in_group(fact.operator_id):
                        return  # who wrote it has left the access group: it stays failed
                    assert fact.operator_id is not None
                    self.send(ob.RetryMessage(message_id=mid, operator_id=fact.operator_id,
                                              at=self.now, actor="operator"))
                    self.retried(fact)
                    last_queued = self.now
                    attempts_left = 0
                    yield rng.uniform(0.5, 10)
                    continue
                yield 2.0 * 2 ** (fact.attempts - 1) + 0.5  # after the backoff
                continue
            break
        self.counter += 1
        external = f"out-{self.plan.seed}-{self.counter}"
        if pattern == "early":  # the report overtakes the send's record
            early = self.now
            self.report(external, "delivered", early)
            yield 0.1
            self.sent(mid, fact, external, last_queued)
            fact.delivered_at = early
            fact.status = "delivered"
            ledger.delivery[ledger.day(early)]["delivered"] += 1
            yield rng.uniform(30, 600)
            self.read(fact, external)
            return
        self.sent(mid, fact, external, last_queued)
        yield rng.uniform(1, 60)
        if pattern == "failed-report":
            self.report(external, "failed", self.now, "131026", "Receiver is incapable")
            self.failed(fact, "GATEWAY_131026", final=True, report=True)
            yield rng.uniform(120, 900)
            if not self.in_group(fact.operator_id):
                return
            assert fact.operator_id is not None
            self.send(ob.RetryMessage(message_id=mid, operator_id=fact.operator_id, at=self.now,
                                      actor="operator"))
            self.retried(fact, new_round=True)
            last_queued = self.now
            yield rng.uniform(0.5, 10)
            self.claim(mid)
            fact.attempts += 1
            yield 0.5
            self.counter += 1
            external = f"out-{self.plan.seed}-{self.counter}"
            self.sent(mid, fact, external, last_queued)
            yield rng.uniform(1, 60)
        if pattern == "read-first":
            read_at = self.now
            self.report(external, "read", read_at)
            fact.read_at = fact.delivered_at = read_at
            fact.status = "read"
            ledger.delivery[ledger.day(read_at)]["read"] += 1
            yield 1
            self.report(external, "delivered", self.now)  # stale: changes nothing
            return
        delivered = self.now
        self.report(external, "delivered", delivered)
        fact.delivered_at = delivered
        fact.status = "delivered"
        ledger.delivery[ledger.day(delivered)]["delivered"] += 1
        if pattern == "twice":
            yield 2
            self.report(external, "delivered", delivered)  # the webhook delivered it again
        if rng.random() < 0.6:
            yield rng.uniform(10, 3600)
            self.read(fact, external)

    def claim(self, mid: UUID) -> None:
        def claimed(batch: Any) -> None:
            assert len(batch.claims) == 1, batch

        self.send(ob.ClaimOutgoing(message_ids=(mid,), worker=WORKER, now=self.now,
                                   lease_seconds=60, idempotent=True), ok=claimed)

    def sent(self, mid: UUID, fact: MessageFact, external: str, last_queued: datetime) -> None:
        self.send(ob.RecordSent(message_id=mid, channel=CHANNEL, external_id=external,
                                worker=WORKER, at=self.now))
        fact.sent_at = self.now
        fact.status = "sent"
        fact.failure_code = None
        fact.failed_at = None
        day = self.ledger.day(self.now)
        self.ledger.delivery[day]["sent"] += 1
        self.ledger.sends.append((day, (self.now - last_queued).total_seconds()))

    def read(self, fact: MessageFact, external: str) -> None:
        self.report(external, "read", self.now)
        fact.read_at = self.now
        fact.status = "read"
        self.ledger.delivery[self.ledger.day(self.now)]["read"] += 1

    def failed(self, fact: MessageFact, code: str, *, final: bool, report: bool = False) -> None:
        day = self.ledger.day(self.now)
        if final:
            fact.status = "failed"
            fact.failed_at = self.now
            self.ledger.delivery[day]["failed"] += 1
            self.ledger.failures[(day, code, "failed")] += 1
        else:
            fact.status = "queued"
            self.ledger.delivery[day]["attempt_failures"] += 1
            self.ledger.failures[(day, code, "attempt_failures")] += 1
        fact.failure_code = code

    def retried(self, fact: MessageFact, new_round: bool = False) -> None:
        fact.retries += 1
        fact.status = "queued"
        fact.failed_at = None
        fact.failure_code = None
        self.ledger.delivery[self.ledger.day(self.now)]["retried"] += 1
        if new_round:
            fact.sent_at = fact.delivered_at = fact.read_at = None

    def report(self, external: str, status: str, at: datetime, code: str = "",
               error: str = "") -> None:
        self.send(ob.RecordDeliveryReports(reports=(DeliveryReport(
            channel=CHANNEL, external_id=external, status=status, at=at, error_code=code,
            error=error),)))

    def finish(self) -> None:
        """Operators still online at the end are counted up to the end of the story (their
        stretch is not over, so the read model has not counted it): disconnect them then."""
        self.now = max(self.now, self.ledger.end)
        for op in self.operators:
            if op.connection is not None:
                self.disconnect(op)
        self.flush()


def generate(container: Any, plan: Plan | None = None) -> Ledger:
    return HistoryGenerator(container, plan or Plan()).generate()
