"""What every `siyu` command shares: its flags, its output and its unit of work."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
WorkspaceSlug = Annotated[str, typer.Option("--workspace", help="Workspace slug.")]


def emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str) if as_json else human)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Migrate, run one transaction, and turn a problem into one clear line and exit code 1."""
    from siyu.db import transaction
    from siyu.kit.errors import Problem
    from siyu.migrations import upgrade

    upgrade()
    try:
        with transaction() as session:
            yield session
    except Problem as problem:
        detail = f": {problem.detail}" if problem.detail else ""
        raise fail(f"{problem.title}{detail}") from problem
