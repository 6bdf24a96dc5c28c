"""The blob store: files named by the sha256 of their bytes, so the same file twice is kept once
and a name cannot be guessed from anything but the file itself.

- `LocalBlobStore` (the default): a folder under the data directory, `ab/cd/<sha256>`; a file is
  written beside its place and renamed into it, so a reader never sees half a file.
- `S3BlobStore`: any S3-compatible bucket (AWS S3, MinIO, Ceph, …) spoken to over its REST API
  with httpx and AWS Signature Version 4 — no SDK needed. Path-style addressing
  (`{endpoint}/{bucket}/{key}`), which every S3-compatible server accepts."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from infra.settings import Settings

SHA256 = re.compile(r"^[0-9a-f]{64}$")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _checked(sha256: str) -> str:
    if not SHA256.match(sha256):
        raise KeyError(sha256)
    return sha256


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        name = _checked(sha256)
        return self.root / name[:2] / name[2:4] / name

    def put(self, content: bytes) -> str:
        name = sha256_of(content)
        path = self._path(name)
        if path.exists():
            return name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return name

    def get(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise KeyError(sha256) from None

    def exists(self, sha256: str) -> bool:
        try:
            return self._path(sha256).is_file()
        except KeyError:
            return False

    def delete(self, sha256: str) -> None:
        try:
            self._path(sha256).unlink(missing_ok=True)
        except KeyError:
            return

    def count(self) -> int:
        """How many blobs are kept (for tests and diagnostics)."""
        if not self.root.exists():
            return 0
        return sum(1 for p in self.root.rglob("*") if p.is_file()
                   and not p.name.startswith(".incoming-"))


class S3Error(Exception):
    pass


class S3BlobStore:
    """Objects `{prefix}{sha256}` in one bucket; requests signed with SigV4 (service "s3")."""

    def __init__(self, *, endpoint: str, bucket: str, region: str, access_key: str,
                 secret_key: str, prefix: str = "", timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region
        self.prefix = prefix
        self._signer = SigV4(access_key=access_key, secret_key=secret_key, region=region)
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _url(self, sha256: str) -> str:
        key = f"{self.prefix}{_checked(sha256)}"
        return f"{self.endpoint}/{quote(self.bucket)}/{quote(key)}"

    def put(self, content: bytes) -> str:
        name = sha256_of(content)
        url = self._url(name)
        headers = self._signer.headers("PUT", url, content, {"content-type":
                                                             "application/octet-stream"})
        response = self._http.put(url, content=content, headers=headers)
        if response.status_code >= 300:
            raise S3Error(f"The bucket refused PUT ({response.status_code}): "
                          f"{response.text[:200]}")
        return name

    def get(self, sha256: str) -> bytes:
        url = self._url(sha256)
        response = self._http.get(url, headers=self._signer.headers("GET", url, b""))
        if response.status_code == 404:
            raise KeyError(sha256)
        if response.status_code >= 300:
            raise S3Error(f"The bucket refused GET ({response.status_code}).")
        return response.content

    def exists(self, sha256: str) -> bool:
        try:
            url = self._url(sha256)
        except KeyError:
            return False
        response = self._http.head(url, headers=self._signer.headers("HEAD", url, b""))
        if response.status_code == 404:
            return False
        if response.status_code >= 300:
            raise S3Error(f"The bucket refused HEAD ({response.status_code}).")
        return True

    def delete(self, sha256: str) -> None:
        try:
            url = self._url(sha256)
        except KeyError:
            return
        response = self._http.delete(url, headers=self._signer.headers("DELETE", url, b""))
        if response.status_code >= 300 and response.status_code != 404:
            raise S3Error(f"The bucket refused DELETE ({response.status_code}).")


class SigV4:
    """AWS Signature Version 4 for S3 requests, with the payload's sha256 signed."""

    def __init__(self, *, access_key: str, secret_key: str, region: str,
                 service: str = "s3") -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.service = service

    def headers(self, method: str, url: str, payload: bytes,
                extra: dict[str, str] | None = None, *,
                now: datetime | None = None) -> dict[str, str]:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        parts = urlsplit(url)
        host = parts.netloc
        payload_hash = sha256_of(payload) if payload else EMPTY_SHA256
        headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": stamp}
        for name, value in (extra or {}).items():
            headers[name.lower()] = value.strip()
        signed = sorted(headers)
        canonical_query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
            for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
        canonical = "\n".join([
            method, parts.path or "/", canonical_query,
            "".join(f"{name}:{headers[name]}\n" for name in signed),
            ";".join(signed), payload_hash])
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                             sha256_of(canonical.encode())])
        key = _hmac(("AWS4" + self.secret_key).encode(), day)
        for part in (self.region, self.service, "aws4_request"):
            key = _hmac(key, part)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
            f"SignedHeaders={';'.join(signed)}, Signature={signature}")
        headers.pop("host")  # httpx sets it from the URL
        return headers


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def media_folder(settings: Settings) -> Path:
    """The local blob store's folder: as set, else `media/` in the data directory (beside the
    SQLite database; `./var/media` with PostgreSQL)."""
    if settings.media_dir:
        return Path(settings.media_dir)
    if settings.is_sqlite:
        return settings.sqlite_events_path.parent / "media"
    return Path("var") / "media"


def build_blob_store(settings: Settings) -> LocalBlobStore | S3BlobStore:
    if settings.media_store == "s3":
        return S3BlobStore(endpoint=settings.media_s3_endpoint, bucket=settings.media_s3_bucket,
                           region=settings.media_s3_region,
                           access_key=settings.media_s3_access_key,
                           secret_key=settings.media_s3_secret_key,
                           prefix=settings.media_s3_prefix)
    return LocalBlobStore(media_folder(settings))
