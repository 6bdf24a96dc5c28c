"""Running the read-model migrations: from the CLI, from `make run`, and from tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config

from alembic import command
from infra.settings import Settings
from infra.views import SCHEMAS, SQLITE_SCHEMA_MAP, open_views
from projections.base import READ_SCHEMA, metadata

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(settings: Settings) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["settings"] = settings
    return config


def migrate(settings: Settings, revision: str = "heads") -> None:
    command.upgrade(alembic_config(settings), revision)


def configure_and_run(context: Any) -> None:
    settings: Settings = context.config.attributes.get("settings") or Settings()
    views = open_views(settings)
    try:
        with views.writer.connect() as conn:
            if views.is_sqlite:
                conn = conn.execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
            else:
                for schema in SCHEMAS:
                    conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                conn.commit()
            context.configure(
                connection=conn,
                target_metadata=metadata,
                version_table_schema=None if views.is_sqlite else READ_SCHEMA,
                include_schemas=not views.is_sqlite,
                render_as_batch=views.is_sqlite,
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        views.dispose()
