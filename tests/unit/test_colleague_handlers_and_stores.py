"""Colleague-chat handlers with a unit of work in memory (the long-polling rule and the access
group decide before anything is recorded), and the blob stores: content-addressed files in a
folder, and S3 requests signed with AWS Signature Version 4 (AWS's own published example),
chosen by the settings (which refuse S3 without its endpoint, bucket and keys)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from application import colleagues as col
from domain.access import AccessGroup, NotInAccessGroup
from domain.errors import NotAllowed
from domain.ids import operator_id
from domain.operators import Operator, Role
from domain.setup import LONG_POLLING_REFUSAL, ConnectionMode, Installation
from infra.blobstore import LocalBlobStore, S3BlobStore, SigV4, build_blob_store
from infra.settings import Settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class MemoryUnitOfWork:
    def __init__(self, *aggregates: Aggregate) -> None:
        self.aggregates: dict[UUID, Aggregate] = {a.id: a for a in aggregates}

    def get(self, cls: type[Any], aggregate_id: UUID) -> Any:
        found = self.aggregates.get(aggregate_id)
        return found if isinstance(found, cls) else None

    def add(self, aggregate: Aggregate) -> None:
        self.aggregates[aggregate.id] = aggregate

    def is_recorded(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.aggregates


def people(installation: Installation | None) -> tuple[MemoryUnitOfWork, UUID, UUID]:
    ann = Operator.register(login="ann", display_name="Ann", role=Role.OPERATOR,
                            password_hash="x", actor="t")
    bob = Operator.register(login="bob", display_name="Bob", role=Role.OPERATOR,
                            password_hash="x", actor="t")
    group = AccessGroup.create(actor="t")
    group.add_member(ann.id, actor="t")
    group.add_member(bob.id, actor="t")
    found = [ann, bob, group] + ([installation] if installation else [])
    return MemoryUnitOfWork(*found), ann.id, bob.id


def web_service() -> Installation:
    installation = Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor="t")
    installation.set_publication("https://1c.example", "crm", actor="t")
    return installation


def test_colleague_chats_are_refused_while_the_connection_is_long_polling() -> None:
    for installation in (None, Installation.start(connection_mode=ConnectionMode.LONG_POLLING,
                                                  actor="t")):
        uow, ann, bob = people(installation)
        before = set(uow.aggregates)
        with pytest.raises(NotAllowed) as refused:
            col.start_direct_chat(col.StartDirectChat(operator_id=ann, colleague_id=bob,
                                                      at=NOW, actor="t"), uow)
        assert refused.value.message == LONG_POLLING_REFUSAL
        assert "setup wizard" in refused.value.message  # it says how to switch
        assert set(uow.aggregates) == before


def test_with_the_web_service_members_chat_and_outsiders_do_not() -> None:
    uow, ann, bob = people(web_service())
    started = col.start_direct_chat(col.StartDirectChat(operator_id=ann, colleague_id=bob,
                                                        at=NOW, actor="t"), uow)
    posted = col.post_colleague_message(col.PostColleagueMessage(
        chat_id=started.chat_id, operator_id=bob, text="Hi Ann", key="k1", at=NOW, actor="t"),
        uow)
    assert (started.created, posted.seq) == (True, 1)
    stranger = operator_id("zoe")
    uow.add(Operator.register(login="zoe", display_name="Zoe", role=Role.OPERATOR,
                              password_hash="x", actor="t"))
    with pytest.raises(NotInAccessGroup):
        col.post_colleague_message(col.PostColleagueMessage(
            chat_id=started.chat_id, operator_id=stranger, text="?", key="k2", at=NOW,
            actor="t"), uow)


def test_the_local_store_names_files_by_content_and_keeps_the_same_file_once(
    tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "media")
    first = store.put(b"a photo")
    assert store.put(b"a photo") == first and store.count() == 1
    assert store.get(first) == b"a photo" and store.exists(first)
    for bad in ("../../etc/passwd", "0" * 63, "A" * 64):
        assert not store.exists(bad)
        with pytest.raises(KeyError):
            store.get(bad)
        store.delete(bad)  # nothing outside the store's own names is touched
    store.delete(first)
    store.delete(first)  # a file already gone is no error
    assert not store.exists(first) and store.count() == 0


def settings_with(**values: Any) -> Settings:
    return Settings(_env_file=None, env="test", database_url="sqlite:///var/test.db",  # type: ignore[call-arg]
                    secret_key="test-secret", simulator_secret="test-sim", **values)


S3_SETTINGS = {"media_store": "s3", "media_s3_endpoint": "http://minio.local:9000",
               "media_s3_bucket": "files", "media_s3_access_key": "key",
               "media_s3_secret_key": "secret"}


def test_the_s3_store_is_built_from_its_settings_and_refused_without_them(
    tmp_path: Path
) -> None:
    store = build_blob_store(settings_with(**S3_SETTINGS, media_s3_region="eu-west-1"))
    assert isinstance(store, S3BlobStore)
    assert (store.endpoint, store.bucket, store.region, store.prefix) == (
        "http://minio.local:9000", "files", "eu-west-1", "media/")
    store.close()
    local = build_blob_store(settings_with(media_dir=str(tmp_path / "files")))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "files"
    for missing in ("media_s3_endpoint", "media_s3_bucket", "media_s3_access_key",
                    "media_s3_secret_key"):
        with pytest.raises(ValidationError, match=f"SWITCHBOARD_{missing.upper()}"):
            settings_with(**{**S3_SETTINGS, missing: ""})


def test_sigv4_signs_as_aws_documents_it() -> None:
    """AWS's "GET Object" example (Signature Version 4, S3 documentation)."""
    signer = SigV4(access_key="AKIAIOSFODNN7EXAMPLE",
                   secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region="us-east-1")
    headers = signer.headers("GET", "https://examplebucket.s3.amazonaws.com/test.txt", b"",
                             {"range": "bytes=0-9"}, now=datetime(2013, 5, 24, tzinfo=UTC))
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


def test_the_s3_store_puts_and_gets_objects_in_its_bucket() -> None:
    objects: dict[str, bytes] = {}

    def bucket(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=key/")
        path = request.url.path
        assert path.startswith("/files/media/")
        if request.method == "PUT":
            objects[path] = request.content
            return httpx.Response(200)
        if request.method == "DELETE":
            objects.pop(path, None)
            return httpx.Response(204)
        if path not in objects:
            return httpx.Response(404)
        return httpx.Response(200, content=b"" if request.method == "HEAD" else objects[path])

    store = S3BlobStore(endpoint="http://minio.local:9000", bucket="files", region="eu-west-1",
                        access_key="key", secret_key="secret", prefix="media/",
                        transport=httpx.MockTransport(bucket))
    name = store.put(b"%PDF-1.4 contract")
    assert store.exists(name) and store.get(name) == b"%PDF-1.4 contract"
    assert not store.exists("f" * 64)
    with pytest.raises(KeyError):
        store.get("f" * 64)
    store.delete(name)
    assert not store.exists(name) and objects == {}
