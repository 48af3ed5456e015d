"""One settings object for the whole pipeline, read from ATENCIONES_* environment variables."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# Passwords that `make up` generates for the local stack (git-ignored, never committed).
LOCAL_SECRETS_FILE = REPO_ROOT / ".state" / "secrets.env"
_EMAIL = re.compile(r"[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+")


class Settings(BaseSettings):
    """Every field is read from ``ATENCIONES_<FIELD>`` (upper case); the defaults suit `make up`."""

    model_config = SettingsConfigDict(
        env_prefix="ATENCIONES_", env_file=LOCAL_SECRETS_FILE, extra="ignore"
    )

    state_dir: Path = Field(
        default=REPO_ROOT / ".state",
        description="Where `make up` keeps data, logs and PID files of the local stack.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "atenciones",
        description="Downloads kept between runs and clones (Kafka jars).",
    )
    kafka_version: str = Field(
        default="4.4.0", description="Apache Kafka version of the local broker."
    )
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers (host:port[,host:port])."
    )
    kafka_controller_port: int = Field(
        default=9093, description="Port of the local broker's KRaft controller listener."
    )
    kafka_heap: str = Field(default="512m", description="JVM heap of the local broker (-Xmx).")
    attentions_topic: str = Field(default="attentions", description="Topic of attention events.")
    dlq_topic: str = Field(
        default="attentions.dlq", description="Dead-letter topic: invalid records with a reason."
    )
    dlq_retention_days: int = Field(
        default=90, ge=1, description="Days the dead-letter topic keeps records (may hold PII)."
    )
    attentions_retention_days: int = Field(
        default=400,
        ge=1,
        description="Days the attentions topic keeps producers' bytes (rebuilds and corrections "
        "of the current and previous year); ClickHouse keeps the counts beyond.",
    )
    cases_retention_days: int = Field(
        default=90, ge=1, description="Days the relevant-cases topic keeps producers' bytes."
    )
    relevant_cases_topic: str = Field(
        default="relevant-cases", description="Topic of relevant-case updates."
    )
    incidents_enabled: bool = Field(
        default=True,
        description="Run the incident detector (incidents/README.md); false: no alerts.",
    )
    incident_signals_topic: str = Field(
        default="incident-signals",
        description="Internal topic: service-failure attentions keyed by provider and place, "
        "for the incident detector (written by the worker).",
    )
    alerts_topic: str = Field(
        default="alerts", description="Topic of incident alert events (schemas/alert.py)."
    )
    alert_alpha: float = Field(
        default=1e-6, gt=0, lt=1,
        description="An alert opens when a window's count is at most this probable against "
        "the key's baseline (incidents/README.md).",
    )  # fmt: skip
    alert_min_count: int = Field(
        default=4, ge=2, description="Service-failure attentions a window needs to alert."
    )
    alert_quiet_minutes: int = Field(
        default=60,
        ge=5,
        description="An alert closes after this long without an improbable window.",
    )
    alert_floor_per_hour: float = Field(
        default=0.1, gt=0, description="No key is expected below this many attentions an hour."
    )
    alert_baseline_weeks: int = Field(
        default=8, ge=1, le=52, description="Weeks of history behind the alert baselines."
    )
    incident_idle_s: float = Field(
        default=30.0, gt=0, le=3600,
        description="A source partition with nothing counted for this long (wall clock) stops "
        "holding the incident detector's clock back (incidents/source_clock.py).",
    )  # fmt: skip
    topic_partitions: int = Field(
        default=6, ge=1, description="Partitions of the attentions and dead-letter topics."
    )
    citizen_ref_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the HMAC that turns a citizen's document into `citizen_ref` "
        "(producer side). Empty: citizen references cannot be made.",
    )
    worker_app_id: str = Field(
        default="atenciones-worker", description="Faust app id (the consumer group)."
    )
    worker_web_port: int = Field(
        default=6066, description="Port of the worker's health and metrics page on 127.0.0.1."
    )
    worker_batch_size: int = Field(
        default=5000, ge=1, description="Most events the worker processes in one batch."
    )
    worker_batch_seconds: float = Field(
        default=0.2, gt=0, description="Longest wait to fill a batch before processing it."
    )
    worker_fetch_wait_ms: int = Field(
        default=100,
        ge=10,
        le=1500,
        description="Longest time the broker holds the worker's fetch when there is nothing "
        "new (Faust's own 1,500 ms delays a busy topic behind quiet ones: agents/faust_bridge.py).",
    )
    sink_retry_s: float = Field(
        default=300.0,
        gt=0,
        description="How long the worker retries an unreachable ClickHouse before it stops "
        "(its supervisor restarts it; nothing is committed that ClickHouse does not have).",
    )
    worker_state_horizon_days: int = Field(
        default=0,
        ge=0,
        le=36_500,
        description="0: the worker remembers every attention. Otherwise states older (by "
        "occurred_at) than the newest counted on their partition minus this many days are "
        "evicted, and records that old are dead-lettered as `beyond_horizon` "
        "(agents/README.md, memory model).",
    )
    worker_snapshot_min_states: int = Field(
        default=20_000,
        ge=1,
        description="Attention states a partition journals at least before it writes a "
        "snapshot of its whole state and deletes the older journal entries.",
    )
    worker_batch_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="A batch still running after this long stops the worker (its supervisor "
        "restarts it): the last defence against a hang. Must exceed ATENCIONES_SINK_RETRY_S.",
    )
    worker_stall_exit_s: float = Field(
        default=180.0,
        ge=0,
        description="A worker with records waiting, nothing committed and no batch in hand for "
        "this long stops with exit code 75 (its supervisor restarts it), after logging where "
        "it waits; 0: never. Must exceed ATENCIONES_HEALTH_STALL_S.",
    )
    worker_stop_grace_s: float = Field(
        default=5.0,
        ge=0,
        description="On stop, how long the worker lets the batches in hand finish; what is "
        "still in flight then is not committed and is read again after the restart.",
    )
    health_sink_failing_s: float = Field(
        default=30.0, gt=0, description="/health fails when ClickHouse writes fail this long."
    )
    health_stall_s: float = Field(
        default=60.0,
        gt=0,
        description="/health fails when records wait and no batch completed for this long.",
    )
    clickhouse_host: str = Field(default="127.0.0.1", description="ClickHouse host.")
    clickhouse_http_port: int = Field(default=8123, description="ClickHouse HTTP port.")
    clickhouse_tcp_port: int = Field(default=9000, description="ClickHouse native (TCP) port.")
    clickhouse_user: str = Field(
        default="writer", description="ClickHouse user of the worker (SELECT, INSERT)."
    )
    clickhouse_password: SecretStr = Field(
        default=SecretStr(""), description="Password of ATENCIONES_CLICKHOUSE_USER."
    )
    clickhouse_admin_user: str = Field(
        default="admin", description="ClickHouse user that applies the migrations."
    )
    clickhouse_admin_password: SecretStr = Field(
        default=SecretStr(""), description="Password of ATENCIONES_CLICKHOUSE_ADMIN_USER."
    )
    clickhouse_analyst_password: SecretStr = Field(
        default=SecretStr(""), description="Password of the read-only `analyst` user."
    )
    clickhouse_grafana_password: SecretStr = Field(
        default=SecretStr(""), description="Password of the read-only `grafana` user."
    )
    clickhouse_max_execution_s: int = Field(
        default=30, ge=1, description="Execution-time limit of the analyst and grafana users."
    )
    grafana_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Grafana that `atenciones grafana push` updates.",
    )
    grafana_token: SecretStr = Field(
        default=SecretStr(""),
        description="Service-account token for `grafana push` (or user and password below).",
    )
    grafana_user: str = Field(default="", description="Grafana user, when no token is given.")
    grafana_password: SecretStr = Field(
        default=SecretStr(""), description="Password of ATENCIONES_GRAFANA_USER."
    )
    grafana_clickhouse_host: str = Field(
        default="clickhouse", description="ClickHouse host as Grafana's server reaches it."
    )
    grafana_clickhouse_port: int = Field(
        default=9000, description="ClickHouse native port as Grafana's server reaches it."
    )

    report_schedule: bool = Field(
        default=False,
        description="Generate, archive and e-mail the daily report by itself (the worker's "
        "leader does it; docker-compose turns it on).",
    )
    report_daily_at: time = Field(
        default=time(8, 0),
        description="Lima time (HH:MM) at which the previous day's report is sent.",
    )
    report_cut_at: time | None = Field(
        default=None,
        description="Lima time (HH:MM) of an optional cut of the current day ('al corte'); "
        "empty: none.",
    )
    report_catchup_days: int = Field(
        default=3,
        ge=0,
        le=31,
        description="Days back a daily report not sent yet is still sent (after an outage).",
    )
    report_check_s: float = Field(
        default=60.0, gt=0, description="How often the worker's leader looks for a report due."
    )
    report_archive_dir: Path | None = Field(
        default=None,
        description="Folder of the report archive (AAAA/MM/… and index.html); default: "
        "<ATENCIONES_STATE_DIR>/archive.",
    )
    report_recipients: str = Field(
        default="",
        description="Comma-separated e-mail addresses the report goes to; empty: archive only.",
    )
    report_retry_s: float = Field(
        default=60.0,
        gt=0,
        description="First wait before a failed delivery is tried again (doubles each time, "
        "at most 30 minutes).",
    )
    report_max_attempts: int = Field(
        default=8, ge=1, description="Attempts of one delivery before it is given up."
    )
    smtp_host: str = Field(default="", description="SMTP server of the report's e-mail.")
    smtp_port: int = Field(default=587, description="SMTP port (587: submission, STARTTLS).")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS before sending."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA bundle to verify the SMTP server's certificate (default: the system's).",
    )
    smtp_user: str = Field(default="", description="SMTP user; empty: no authentication.")
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="Password of ATENCIONES_SMTP_USER."
    )
    smtp_from: str = Field(
        default="atenciones@localhost", description="Sender address of the report's e-mail."
    )
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="SMTP connection timeout.")

    @field_validator("report_cut_at", "report_archive_dir", "smtp_ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def archive_dir(self) -> Path:
        """Where the delivered reports are kept."""
        return self.report_archive_dir or self.state_dir / "archive"

    @property
    def recipients(self) -> tuple[str, ...]:
        """The report's recipients, sorted and without duplicates."""
        found = {a.strip() for a in self.report_recipients.split(",") if a.strip()}
        return tuple(sorted(found, key=str.lower))

    @model_validator(mode="after")
    def _recipients_are_addresses(self) -> Settings:
        bad = [a for a in self.recipients if not _EMAIL.fullmatch(a)]
        if bad:
            raise ValueError(f"ATENCIONES_REPORT_RECIPIENTS: not e-mail addresses: {bad}")
        if self.recipients and not self.smtp_host:
            raise ValueError("ATENCIONES_REPORT_RECIPIENTS is set but ATENCIONES_SMTP_HOST is not")
        return self

    @model_validator(mode="after")
    def _stall_exit_follows_the_health_check(self) -> Settings:
        if self.worker_stall_exit_s and self.worker_stall_exit_s <= self.health_stall_s:
            raise ValueError(
                "ATENCIONES_WORKER_STALL_EXIT_S must exceed ATENCIONES_HEALTH_STALL_S "
                f"({self.worker_stall_exit_s:g} <= {self.health_stall_s:g}), or be 0"
            )
        return self

    @model_validator(mode="after")
    def _batch_deadline_outlasts_the_sink_retries(self) -> Settings:
        if self.worker_batch_timeout_s <= self.sink_retry_s:
            raise ValueError(
                "ATENCIONES_WORKER_BATCH_TIMEOUT_S must exceed ATENCIONES_SINK_RETRY_S "
                f"({self.worker_batch_timeout_s:g} <= {self.sink_retry_s:g}): a batch waiting "
                "for ClickHouse would be cut short"
            )
        return self

    @property
    def worker_dir(self) -> Path:
        """Where the worker keeps its RocksDB tables and logs."""
        return self.state_dir / "worker"

    @property
    def kafka_port(self) -> int:
        """Port of the first bootstrap server, the one the local broker listens on."""
        return int(self.kafka_bootstrap.split(",")[0].rsplit(":", 1)[1])


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
