from __future__ import annotations

import pytest
from pydantic import ValidationError

from siyu.config import DEFAULT_PII_KEY, DEFAULT_SECRET_KEY, Settings


def test_embedded_defaults_need_no_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIYU_DATABASE_URL", "SIYU_REDIS_URL", "SIYU_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./var/siyu.db"
    assert settings.redis_url is None and settings.broker_url is None
    assert settings.is_sqlite and str(settings.sqlite_path) == "var/siyu.db"


def test_server_mode_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_DATABASE_URL", "postgresql+psycopg://siyu@db/siyu")
    monkeypatch.setenv("SIYU_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("SIYU_BROKER_URL", "amqp://guest:guest@mq//")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not settings.is_sqlite and settings.sqlite_path is None
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.broker_url == "amqp://guest:guest@mq//"


@pytest.mark.parametrize(
    ("secret", "pii", "message"),
    [
        (DEFAULT_SECRET_KEY, "a-real-pii-key", "SIYU_SECRET_KEY"),
        ("a-real-secret", DEFAULT_PII_KEY, "SIYU_PII_KEY"),
    ],
)
def test_production_refuses_default_secrets(secret: str, pii: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, env="production", secret_key=secret, pii_key=pii)  # type: ignore[call-arg]


def test_production_with_real_secrets_starts() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="production",
        secret_key="s" * 40,
        pii_key="p" * 40,
        public_base_url="https://fans.example.com",
    )
    assert settings.env == "production"


def test_dotenv_file_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    env_file = Path(str(tmp_path)) / ".env"
    env_file.write_text("SIYU_DEFAULT_TIMEZONE=Asia/Hong_Kong\n", encoding="utf-8")
    monkeypatch.delenv("SIYU_DEFAULT_TIMEZONE", raising=False)
    assert Settings(_env_file=env_file).default_timezone == "Asia/Hong_Kong"  # type: ignore[call-arg]


def test_production_refuses_the_default_public_address() -> None:
    with pytest.raises(ValidationError, match="SIYU_PUBLIC_BASE_URL"):
        Settings(_env_file=None, env="production", secret_key="s" * 40, pii_key="p" * 40)  # type: ignore[call-arg]


def test_serving_follows_its_port_unless_an_address_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from siyu.config import follow_serving_port, get_settings, reset_settings_cache

    monkeypatch.delenv("SIYU_PUBLIC_BASE_URL", raising=False)
    reset_settings_cache()
    try:
        follow_serving_port("0.0.0.0", 8765)
        assert get_settings().public_base_url == "http://127.0.0.1:8765"
        monkeypatch.setenv("SIYU_PUBLIC_BASE_URL", "https://fans.example.com")
        reset_settings_cache()
        follow_serving_port("127.0.0.1", 9999)
        assert get_settings().public_base_url == "https://fans.example.com"
    finally:
        monkeypatch.delenv("SIYU_PUBLIC_BASE_URL", raising=False)
        reset_settings_cache()


def test_pool_and_request_slots_are_sized_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_DATABASE_URL", "postgresql+psycopg://siyu@db/siyu")
    monkeypatch.setenv("SIYU_BROKER_URL", "redis://cache:6379/1")
    for name in ("SIYU_DB_POOL_SIZE", "SIYU_WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    # --workers 4 stays well inside PostgreSQL's default max_connections (100 - 3 reserved).
    assert settings.request_slots == 15 and settings.pool_size == 18
    assert 4 * settings.pool_size + 10 <= 97
    monkeypatch.setenv("SIYU_DB_POOL_SIZE", "8")
    small = Settings(_env_file=None)  # type: ignore[call-arg]
    assert small.pool_size == 8 and small.request_slots == 5  # slots never exceed the pool


def test_the_suite_has_a_default_timeout(pytestconfig: pytest.Config) -> None:
    """A hung concurrency test fails instead of hanging CI."""
    assert float(pytestconfig.getini("timeout")) > 0
