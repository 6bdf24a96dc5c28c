"""Deterministic identities: natural keys become uuid5 ids, so a repeated command finds the same
aggregate instead of creating a second one."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c7a52-3d0e-4b8e-9a51-5e0c2b7d9f10")


def natural_id(kind: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"{kind}:{key}")


def operator_id(login: str) -> UUID:
    return natural_id("operator", login.strip().lower())


def client_id(phone: str) -> UUID:
    return natural_id("client", phone)


def message_id(channel: str, external_id: str) -> UUID:
    return natural_id("message", f"{channel}:{external_id}")


EMPLOYEE_QUEUE_ID = natural_id("employee-queue", "default")
