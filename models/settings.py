"""One settings object per process, read from ``ARGSTANCE_<FIELD>`` environment variables.

Build it once in an entry point and pass it down, e.g. ``ARGSTANCE_PORT=9000``,
``ARGSTANCE_REGISTRY=/data/models``, ``ARGSTANCE_API_KEY=...``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of the service, the CLI and training defaults."""

    model_config = SettingsConfigDict(env_prefix="ARGSTANCE_", extra="ignore")

    # model registry and inference
    registry: Path = Field(Path("registry"), description="directory of trained model versions (git-ignored)")
    version: str | None = Field(None, description="version to serve; default: the registry's active one")
    # The encoder's linear layers see only real tokens (models.encoder.Layout), so a bigger batch
    # costs no padding there, only in attention: on 2 cores, with the example op-ed, 32 beat 16 and
    # 64 in fp32 (308 ms vs 337 and 322) and int8 (259 vs 294 and 285).
    batch_size: int = Field(32, ge=1, le=1024, description="sentences per encoder batch")
    precision: str = Field(
        "auto",
        pattern="^(auto|fp32|int8|bf16)$",
        description="inference path (models.precision); auto: the one the model was checked with",
    )
    threads: int = Field(0, ge=0, le=256, description="torch CPU threads; 0 = torch's default (one per core)")
    # HTTP service
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_key: SecretStr | None = Field(None, description="bearer token required by mutating endpoints")
    max_text_chars: int = Field(200_000, ge=1)
    max_target_chars: int = Field(200, ge=1)
    max_batch_documents: int = Field(64, ge=1)
    max_body_bytes: int = Field(20_000_000, ge=1024, description="request bodies are refused beyond this")
    worker_threads: int = Field(2, ge=1, le=64, description="threads running model inference")
    # training defaults; the training split grew from 241 to 433 articles, so 3 epochs now take about
    # as many steps as 5-6 did and keep the default recipe within 30 minutes on 2 cores (README, Quality)
    epochs: int = Field(3, ge=1, le=100)
    seed: int = 13

    @property
    def jobs_dir(self) -> Path:
        """Training job state and logs live beside the models they produce."""
        return self.registry / ".jobs"
