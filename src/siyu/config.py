"""Settings from the environment (prefix ``SIYU_``) and ``.env``.

The defaults run embedded with nothing to set up: a SQLite file, no Redis, jobs in-process.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "siyu-insecure-development-secret"  # noqa: S105 - refused in production
DEFAULT_PII_KEY = "siyu-insecure-development-pii-key"
EMBEDDED_JOB_THREADS = 4
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # `siyu serve/demo` follow their own port


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIYU_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./var/siyu.db"
    redis_url: str | None = None
    broker_url: str | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    pii_key: str = DEFAULT_PII_KEY
    default_timezone: str = "Asia/Shanghai"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    session_days: int = Field(default=14, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    jobs_inline: bool = False  # run jobs synchronously after commit (tests, scripts)
    scheduler_enabled: bool = True
    cookie_secure: bool = False
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL  # where fan links and live codes point
    demo_orders: int = Field(default=120_000, ge=100)  # size of `siyu demo` (tests use less)
    wecom_demo_fake: bool = False  # `siyu demo`: serve the demo's fake WeCom corp in-process
    # Coupon grabs: attempts a second allowed per customer and per fan-page address (0: off).
    grab_customer_attempts_per_second: int = Field(default=5, ge=0)
    grab_ip_attempts_per_second: int = Field(default=50, ge=0)
    # Load limits, sized together (docs/architecture.md, "Holding a surge"): each serving process
    # lets ``web_concurrency`` requests use the store at once; its pool holds that many
    # connections plus a reserve for jobs and side writes. Requests beyond wait their turn on the
    # event loop for at most ``request_queue_seconds``, then get 503 with Retry-After.
    web_concurrency: int = Field(default=15, ge=1)
    db_pool_size: int | None = Field(default=None, ge=1)  # default: web_concurrency + reserve
    db_pool_timeout: float = Field(default=10.0, gt=0)
    request_queue_seconds: float = Field(default=10.0, gt=0)
    sqlite_lock_wait_ms: int = Field(default=5000, ge=0)  # a writer's wait for the write lock
    retry_after_seconds: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env != "production":
            return self
        if self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError("SIYU_SECRET_KEY must be set in production")
        if self.pii_key == DEFAULT_PII_KEY:
            raise ValueError("SIYU_PII_KEY must be set in production")
        if self.public_base_url == DEFAULT_PUBLIC_BASE_URL:
            raise ValueError("SIYU_PUBLIC_BASE_URL must be set in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def pool_reserve(self) -> int:
        """Connections a serving process keeps beside its request slots: the embedded job
        runner's threads and the scheduler (SQLite or no broker), or side writes and the
        live monitor."""
        return EMBEDDED_JOB_THREADS + 2 if not self.broker_url else 3

    @property
    def pool_size(self) -> int:
        return self.db_pool_size or self.web_concurrency + self.pool_reserve

    @property
    def request_slots(self) -> int:
        """Requests of one process that may hold a store connection at once."""
        return max(1, min(self.web_concurrency, self.pool_size - self.pool_reserve))

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or ":memory:" in self.database_url:
            return None
        return Path(self.database_url.split("///", 1)[1])


def public_url(path: str) -> str:
    """An absolute address under ``SIYU_PUBLIC_BASE_URL`` (fan links, live codes, shares)."""
    return get_settings().public_base_url.rstrip("/") + path


def follow_serving_port(host: str, port: int) -> None:
    """Point generated links at the port being served when no public address was set."""
    if "SIYU_PUBLIC_BASE_URL" in os.environ or get_settings().public_base_url != (
        DEFAULT_PUBLIC_BASE_URL
    ):
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a name to show
    os.environ["SIYU_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    reset_settings_cache()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
