from __future__ import annotations

from pathlib import Path

from api.graphql.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_schema_matches_the_code() -> None:
    """`make schema` prints it again; clients rely on what is committed."""
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_schema().as_str() + "\n", "schema.graphql drifted: run make schema"


def test_every_root_field_but_login_requires_a_permission() -> None:
    schema = build_schema()
    open_fields = []
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        for field in definition.fields:  # type: ignore[union-attr]
            if not field.permission_classes:
                open_fields.append(f"{root}.{field.python_name}")
    assert open_fields == ["Mutation.login"]
