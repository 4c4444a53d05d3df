"""Settings, read once from the environment (prefix ONEVISIT_)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEVISIT_", extra="ignore")

    home: Path = Path.home() / ".onevisit"
    database_url: str | None = None  # default: a SQLite file in `home`
    key_file: Path | None = None  # the installation's secret, outside the database; default: `home`/secret.key
    now: datetime | None = None  # a test clock: ISO 8601 with offset
    timezone: str = "Asia/Shanghai"
    checkpoint_dir: Path | None = None  # the sweep writes a sealed checkpoint of the audit chains here each run
    max_file_bytes: int = Field(1_048_576, ge=1_024, le=1_073_741_824)  # an application or catalog file, at most
    operator: str | None = None  # who acts, when a command is not told with --operator
    orchestrate_every_seconds: int = Field(10, ge=1, le=86_400)  # how often `serve` looks for work
    batch_size: int = Field(500, ge=1, le=100_000)  # outbox items one orchestration run takes on
    # keep one long flow run polling the queue for this many seconds at a time, so work is done within a fraction
    # of a second of being queued. Served on a Prefect server it is the default (SERVED_LOOP_SECONDS): a flow run
    # every 10 s would fill the UI with empty runs; 0 there: a run every ORCHESTRATE_EVERY_SECONDS instead.
    # On the embedded API the default is off: `serve` starts a run only when work is queued.
    orchestrate_loop_seconds: int | None = Field(None, ge=0, le=86_400)
    claim_lease_seconds: int = Field(300, ge=1, le=604_800)  # then work claimed by a vanished run is retaken
    sweep_every_seconds: int = Field(900, ge=1, le=86_400)  # how often `serve` sweeps lights and the ledger
    # served on a Prefect server: how often its schedule pulls the decisions of agencies' own systems
    poll_every_seconds: int = Field(60, ge=1, le=86_400)
    escalate_after_days: int = Field(2, ge=0, le=365)  # working days a ledger item stays assigned before 督查
    key_project_factor: float = Field(0.5, gt=0, le=1)  # 重点项目: promised limits × this, rounded up, ≥ 1 day
    stalled_after_days: int = Field(3, ge=1, le=365)  # working days nobody acted before a case is stalled
    # 好差评: a bad rating is called back within N working days and fixed within M; an online rating's token
    # is good for this many calendar days; the link the applicant gets is `rating_url`/TOKEN
    rating_callback_days: int = Field(1, ge=1, le=60)
    rating_fix_days: int = Field(15, ge=1, le=120)
    rating_token_days: int = Field(90, ge=1, le=3650)
    rating_url: str = "/rate"
    # a correction request (补正) unanswered this many working days: the sweep closes the case as withdrawn
    correction_lapse_days: int = Field(10, ge=1, le=365)
    reports_dir: Path | None = None  # where scheduled reports are written (default: `home`/reports)
    # Agencies' systems over HTTP (the endpoints themselves are in the catalog)
    sharing_services: dict[str, str] = {}  # 数据共享: service name (a material's shared_from) -> base URL
    notify_gateway_url: str | None = None  # notices go out through this gateway; None: kept as sent, locally
    http_timeout_seconds: float = Field(5.0, gt=0, le=300)  # one request to an agency, a service or the gateway
    http_retries: int = Field(3, ge=0, le=20)  # transient faults retried this often before an incident
    http_retry_delay_seconds: float = Field(1.0, ge=0, le=3600)  # doubled after each retry (backoff)
    http_concurrency: int = Field(32, ge=1, le=1000)  # requests in flight per chunk of calls (a thread and a client each)

    # The web (onevisit web, serve --web)
    web_host: str = "127.0.0.1"
    web_port: int = Field(8000, ge=1, le=65_535)
    session_idle_seconds: int = Field(1800, ge=1, le=604_800)  # a signed-in browser idle this long signs in again
    sign_in_lock_seconds: int = Field(900, ge=1, le=604_800)  # five failed sign-ins in a row lock the account this long
    web_max_body_bytes: int = Field(1_000_000, ge=1_024, le=100_000_000)  # larger requests: 413, before parsing

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("ONEVISIT_NOW needs an offset, e.g. 2026-03-02T09:00:00+08:00")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'onevisit.db'}"

    @property
    def served_loop_seconds(self) -> int:
        """Served on a Prefect server: how long each orchestrate-loop run lasts (0: interval runs instead)."""
        return SERVED_LOOP_SECONDS if self.orchestrate_loop_seconds is None else self.orchestrate_loop_seconds

    @property
    def secret_path(self) -> Path:
        return self.key_file or self.home / "secret.key"

    @property
    def reports_folder(self) -> Path:
        return self.reports_dir or self.home / "reports"

    def current_time(self) -> datetime:
        """Now, in the jurisdiction's time zone (ONEVISIT_NOW when set)."""
        return (self.now or datetime.now(self.tz)).astimezone(self.tz)


SERVED_LOOP_SECONDS = 900


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
