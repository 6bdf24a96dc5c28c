"""One settings object, read from SWITCHBOARD_* environment variables (and a .env file)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.channels.telegram.settings import TelegramSettings
from infra.pbx_ami_settings import PbxAmiSettings

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "development-secret"}
DEV_SECRET = "development-secret"  # noqa: S105 - refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class Gateway(StrEnum):
    SIMULATOR = "simulator"
    WAHA = "waha"
    CLOUD = "cloud"


class Settings(TelegramSettings, PbxAmiSettings, BaseSettings):
    """Every setting; a channel's own come from its folder's mixin (one line each)."""

    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///var/switchboard.db"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    secret_key: str = DEV_SECRET
    simulator_secret: str = DEV_SECRET
    admin_login: str = "admin"
    admin_password: str = ""
    admin_name: str = "Administrator"
    company_name: str = Field(default="", max_length=120,
                              description="The company's name as clients know it: what "
                                          "{company} in a quick reply stands for")
    token_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    login_attempts_per_login: int = Field(default=5, ge=1)
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    readiness_max_lag: int = Field(default=1000, ge=0)
    projection_batch_size: int = Field(default=500, ge=1, le=10000)
    # While a projection is far behind (catching up from zero, a rebuild, a verify): fewer,
    # larger transactions; nobody waits on a single event then.
    projection_catchup_batch_size: int = Field(default=5000, ge=1, le=100000)
    projection_poll_seconds: float = Field(default=0.03, gt=0)
    writer_max_batch: int = Field(default=500, ge=1)
    # Python's collector: "gen0,gen1,gen2" thresholds for long-running processes (serve,
    # projections run), whose startup objects are frozen out of collections; "" keeps Python's.
    gc_threshold: str = Field(default="50000,20,100", pattern=r"^(\d+,\d+,\d+)?$")
    webhook_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    webhook_max_skew_seconds: int = Field(default=300, ge=1)
    # How old a correctly signed delivery may be: a gateway that retries (WAHA) keeps the
    # event's own time on every retry, so an outage shorter than this loses nothing.
    webhook_retry_horizon_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    run_projections: bool = True
    log_level: str = "INFO"
    log_json: bool | None = Field(default=None, description="JSON lines; default: on in production")
    # -- setup wizard: phones, mail, the PBX check ------------------------------------------
    phone_region: str = Field(default="RU", min_length=2, max_length=2,
                              description="Default region for phone numbers written nationally")
    smtp_host: str = Field(default="", description="Empty: mails go to the development outbox")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: str = Field(default="none", pattern="^(none|starttls|ssl)$")
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "switchboard@localhost"
    mail_outbox_dir: str = Field(default="", description="Default: beside the SQLite database")
    registration_code_ttl_seconds: int = Field(default=600, ge=30)
    pbx_check_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    pbx_nats_port: int = Field(default=4222, ge=1, le=65535,
                               description="The NATS port of MIKO's module for 1C (gnatsd-cti)")
    pbx_nats_user: str = Field(default="", description="A NATS user to send with the code's "
                                                       "password; the module names none")
    # -- WhatsApp: the gateway and its settings ---------------------------------------------
    gateway: Gateway = Gateway.SIMULATOR
    simulator_number: str = Field(default="+15555550100", pattern=r"^\+[1-9]\d{6,14}$",
                                  description="The simulated company's WhatsApp number")
    simulator_autolink: bool | None = Field(
        default=None, description="Start linked and in service; default: on with the simulator "
                                  "outside production")
    waha_url: str = ""
    waha_api_key: str = ""
    waha_session: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,54}$")
    waha_hmac_key: str = ""
    cloud_graph_url: str = "https://graph.facebook.com/v21.0"
    cloud_access_token: str = ""
    cloud_phone_number_id: str = ""
    cloud_app_secret: str = ""
    cloud_verify_token: str = ""
    cloud_waba_id: str = Field(default="", pattern=r"^\d*$",
                               description="The WhatsApp Business Account id: its templates")

    @model_validator(mode="after")
    def require_gateway_settings(self) -> Self:
        """A gateway that is chosen but not configured refuses to start, naming what is missing;
        the simulator, whose phone needs no sign-in, is refused in production."""
        if self.gateway == Gateway.SIMULATOR and self.env == Environment.PRODUCTION:
            raise ValueError(
                "SWITCHBOARD_GATEWAY=simulator (the default) is for trying Switchboard out: its "
                "phone (/simulator/phone…) lets anyone link, drop and write without signing in. "
                "In production set SWITCHBOARD_GATEWAY to waha or cloud.")
        needed: tuple[str, ...] = ()
        if self.gateway == Gateway.WAHA:  # the key signs WAHA's webhooks: none is accepted unsigned
            needed = ("waha_url", "waha_api_key", "waha_hmac_key")
        elif self.gateway == Gateway.CLOUD:
            needed = ("cloud_graph_url", "cloud_access_token", "cloud_phone_number_id",
                      "cloud_app_secret", "cloud_verify_token")
        missing = [f"SWITCHBOARD_{name.upper()}" for name in needed
                   if not str(getattr(self, name)).strip()]
        if missing:
            raise ValueError(f"SWITCHBOARD_GATEWAY={self.gateway.value} needs "
                             + ", ".join(missing) + " (not set).")
        return self

    @property
    def autolinks_simulator(self) -> bool:
        if self.simulator_autolink is not None:
            return self.simulator_autolink and self.gateway == Gateway.SIMULATOR
        return self.gateway == Gateway.SIMULATOR and self.env != Environment.PRODUCTION

    # -- Telegram played here (infra/channels/telegram/settings.py): where it may be ----------
    @property
    def telegram_simulation_allowed(self) -> bool:
        return self.env != Environment.PRODUCTION

    @property
    def telegram_simulated_by_default(self) -> bool:
        """In development (not in tests: they ask for it) with the WhatsApp simulator."""
        return self.env == Environment.DEVELOPMENT and self.gateway == Gateway.SIMULATOR

    @model_validator(mode="after")
    def refuse_a_simulated_telegram_in_production(self) -> Self:
        if self.telegram_simulated and self.env == Environment.PRODUCTION:
            raise ValueError("SWITCHBOARD_TELEGRAM_SIMULATED=true plays Telegram with a fake Bot "
                             "API that anyone may write through: not in production.")
        return self
    # -- routing: idle-timeout forwarding, retrying waiting dialogs, presence ----------------
    run_routing_jobs: bool = Field(default=True, description="Run routing's timers here")
    routing_tick_seconds: float = Field(default=1.0, gt=0, le=60,
                                        description="How often lapsed offers are looked for")
    routing_retry_seconds: int = Field(default=60, ge=1,
                                       description="How often waiting dialogs are retried")
    presence_heartbeat_seconds: int = Field(default=10, ge=1,
                                            description="A replica's heartbeat; sockets of a "
                                                        "replica silent for 3 beats go offline")
    # -- outgoing messages: the sync job, its default schedule, retries, health -------------
    run_sync_job: bool = Field(default=True, description="Run the sync job's scheduler here")
    sync_default_enabled: bool | None = Field(
        default=None, description="Until an admin sets the schedule: on with the simulator "
                                  "outside production, else off")
    sync_default_interval_seconds: int | None = Field(
        default=None, ge=1, le=86400,
        description="Until an admin sets the schedule: 1 s with the simulator outside "
                    "production, else 60 s")
    sync_timezone: str = Field(default="UTC", description="The zone cron schedules are read in")
    sync_watch_seconds: float = Field(default=1.0, gt=0, le=60,
                                      description="How often each replica looks for a changed "
                                                  "schedule")
    outbox_max_attempts: int = Field(default=5, ge=1, le=100)
    outbox_retry_first_seconds: float = Field(default=2.0, gt=0)
    outbox_retry_max_seconds: float = Field(default=300.0, gt=0)
    outbox_lease_seconds: float = Field(default=120.0, ge=1,
                                        description="A claim not answered by then was "
                                                    "interrupted and is recovered")
    outbox_claim_batch: int = Field(default=50, ge=1, le=1000)
    outbox_send_concurrency: int = Field(default=4, ge=1, le=64)
    sync_lock_warn_seconds: float = Field(default=60.0, gt=0,
                                          description="A run (or a wait for the lock) longer "
                                                      "than this is reported")
    sync_grace_seconds: float = Field(default=30.0, ge=0,
                                      description="How late a due message may be before "
                                                  "health reports it")

    # -- media messages and colleague chats ----------------------------------------------
    media_store: str = Field(default="local", pattern="^(local|s3)$",
                             description="Where files are kept: a local folder or an "
                                         "S3-compatible bucket")
    media_dir: str = Field(default="", description="The local folder; default: media/ in the "
                                                   "data directory")
    media_s3_endpoint: str = Field(default="", description="e.g. https://s3.eu-west-1.amazonaws"
                                                          ".com or a MinIO URL")
    media_s3_bucket: str = ""
    media_s3_region: str = "us-east-1"
    media_s3_access_key: str = ""
    media_s3_secret_key: str = ""
    media_s3_prefix: str = Field(default="media/", max_length=200)
    media_max_file_bytes: int = Field(default=16 * 1024 * 1024, ge=1024,
                                      description="Largest file kept or sent")
    media_max_dialog_bytes: int = Field(default=100 * 1024 * 1024, ge=1024,
                                        description="Files kept per dialog, in all")
    media_url_ttl_seconds: int = Field(default=300, ge=10, le=86400,
                                       description="How long a signed file URL works")
    run_media_jobs: bool = Field(default=True, description="Download clients' files here")
    media_download_attempts: int = Field(default=5, ge=1, le=100)
    media_retry_first_seconds: float = Field(default=2.0, gt=0)
    media_retry_max_seconds: float = Field(default=300.0, gt=0)
    media_download_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    media_poll_seconds: float = Field(default=1.0, gt=0, le=60,
                                      description="How often waiting downloads are looked for")
    send_read_receipts: bool = Field(
        default=True, description="Show clients their messages read once an operator opened "
                                  "the dialog (where the messenger shows it)")
    colleague_edit_window_seconds: int = Field(default=900, ge=0, le=86400,
                                               description="How long a colleague message "
                                                           "can be edited")

    @model_validator(mode="after")
    def require_media_store_settings(self) -> Self:
        if self.media_store == "s3":
            missing = [f"SWITCHBOARD_{name.upper()}" for name in (
                "media_s3_endpoint", "media_s3_bucket", "media_s3_access_key",
                "media_s3_secret_key") if not str(getattr(self, name)).strip()]
            if missing:
                raise ValueError("SWITCHBOARD_MEDIA_STORE=s3 needs " + ", ".join(missing)
                                 + " (not set).")
        return self

    # -- analytics: the business time zone, the analysts' read-only PostgreSQL role ---------
    business_timezone: str = Field(
        default="Europe/Moscow", description="The IANA zone whose days and hours the analytics "
                                             "tables count in (rebuild them after a change)")
    analyst_role: str = Field(default="switchboard_analyst", pattern=r"^[a-z_][a-z0-9_]{0,62}$",
                              description="The read-only PostgreSQL role `migrate` creates "
                                          "for BI tools (schema analytics only)")
    analyst_password: str = Field(default="", description="Empty: the role cannot log in "
                                                          "(NOLOGIN); set, `migrate` lets it")

    @model_validator(mode="after")
    def check_business_timezone(self) -> Self:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.business_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"SWITCHBOARD_BUSINESS_TIMEZONE={self.business_timezone!r} is not "
                             "a time zone; use an IANA name such as Europe/Moscow.") from None
        return self

    @property
    def sync_enabled_by_default(self) -> bool:
        if self.sync_default_enabled is not None:
            return self.sync_default_enabled
        return self.gateway == Gateway.SIMULATOR and self.env != Environment.PRODUCTION

    @property
    def sync_interval_by_default(self) -> int:
        if self.sync_default_interval_seconds is not None:
            return self.sync_default_interval_seconds
        simulated = self.gateway == Gateway.SIMULATOR and self.env != Environment.PRODUCTION
        return 1 if simulated else 60

    @model_validator(mode="after")
    def refuse_placeholder_secrets(self) -> Self:
        if self.env == Environment.PRODUCTION:
            for name in ("secret_key", "simulator_secret"):
                if getattr(self, name).strip().lower() in PLACEHOLDERS:
                    raise ValueError(
                        f"SWITCHBOARD_{name.upper()} must be set to a real secret in production."
                    )
        if not (self.is_sqlite or self.is_postgres):
            raise ValueError(
                "SWITCHBOARD_DATABASE_URL must start with sqlite:/// or postgresql://"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:///")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))

    @property
    def sqlite_events_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def sqlite_views_path(self) -> Path:
        events = self.sqlite_events_path
        return events.with_name(events.stem + ".views" + (events.suffix or ".db"))

    @property
    def views_url(self) -> str:
        """The SQLAlchemy URL of the read models."""
        if self.is_sqlite:
            return f"sqlite:///{self.sqlite_views_path}"
        rest = self.database_url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"

    @property
    def postgres_parts(self) -> dict[str, str]:
        parts = urlsplit(self.database_url)
        return {
            "host": parts.hostname or "127.0.0.1",
            "port": str(parts.port or 5432),
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password or ""),
            "dbname": (parts.path or "/postgres").lstrip("/") or "postgres",
        }

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def json_logs(self) -> bool:
        return self.env == Environment.PRODUCTION if self.log_json is None else self.log_json

    @property
    def is_development(self) -> bool:
        return self.env != Environment.PRODUCTION
