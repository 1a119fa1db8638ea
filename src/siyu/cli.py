"""The ``siyu`` command line: serve, demo, database, workspaces, operators, tokens, jobs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from siyu.analytics.cli import analytics_app
from siyu.community.cli import community_app
from siyu.config import get_settings
from siyu.coupons.cli import coupons_app
from siyu.customers.cli import customer_app
from siyu.loyalty.cli import points_app
from siyu.orders.cli import import_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="Siyu (私域): private-domain operations for live commerce.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The store: migrations.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces.", no_args_is_help=True)
operator_app = typer.Typer(help="Operators (console users).", no_args_is_help=True)
token_app = typer.Typer(help="Workspace API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(workspace_app, name="workspace")
app.add_typer(operator_app, name="operator")
app.add_typer(token_app, name="token")
app.add_typer(import_app, name="import")
app.add_typer(customer_app, name="customer")
app.add_typer(points_app, name="points")
app.add_typer(community_app, name="community")
app.add_typer(coupons_app, name="coupons")
app.add_typer(analytics_app, name="analytics")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str) if as_json else human)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


# --- serving ----------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API, the console and the fan pages."""
    import uvicorn

    from siyu.config import follow_serving_port
    from siyu.migrations import upgrade

    follow_serving_port(host, port)
    upgrade()
    uvicorn.run(
        "siyu.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed only, don't serve.")] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the demo workspace first.")
    ] = False,
) -> None:
    """Create the embedded database, seed the demo workspace, and serve the console."""
    from siyu.config import follow_serving_port
    from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, seed_demo

    follow_serving_port(host, port)  # links made while seeding point at this port too
    summary = seed_demo(reset=reset)
    typer.echo(summary)
    url = f"http://{host}:{port}"
    typer.secho(f"\n  Siyu console: {url}", fg=typer.colors.GREEN, bold=True)
    for email, role, _name in DEMO_OPERATORS:
        typer.echo(f"  {role:<9} {email}  password: {DEMO_PASSWORD}")
    typer.echo("")
    if not no_serve:
        serve(host=host, port=port, workers=1)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1)] = 2,
    loglevel: Annotated[str, typer.Option()] = "info",
) -> None:
    """Run a Celery worker (server mode: needs SIYU_BROKER_URL)."""
    from siyu.jobs import celery_app

    if not get_settings().broker_url:
        raise fail("SIYU_BROKER_URL is not set; embedded mode runs jobs inside `siyu serve`.", 2)
    celery_app().worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}"])


@app.command()
def beat(loglevel: Annotated[str, typer.Option()] = "info") -> None:
    """Run Celery beat for periodic jobs (server mode: needs SIYU_BROKER_URL)."""
    from siyu.jobs import celery_app

    if not get_settings().broker_url:
        raise fail("SIYU_BROKER_URL is not set; embedded mode schedules inside `siyu serve`.", 2)
    celery_app().start(["beat", f"--loglevel={loglevel}"])


# --- database ---------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from siyu.migrations import upgrade

    upgrade(revision)
    typer.echo(f"database at {revision}: {_redacted_url()}")


def _redacted_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


# --- workspaces, operators, tokens ------------------------------------------------------


@workspace_app.command("create")
def workspace_create(
    slug: Annotated[str, typer.Argument(help="Short id: lowercase letters, digits, dashes.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    timezone: Annotated[str, typer.Option(help="Business time zone.")] = "Asia/Shanghai",
    as_json: JsonFlag = False,
) -> None:
    """Create a workspace."""
    from siyu.workspace import service

    with _unit_of_work() as session:
        workspace = service.create_workspace(session, slug, name, _cli_actor(), timezone=timezone)
        payload = {"id": workspace.id, "slug": workspace.slug, "name": workspace.name}
    emit(payload, as_json, f"created workspace {slug} ({name})")


@operator_app.command("create")
def operator_create(
    workspace: Annotated[str, typer.Option("--workspace", help="Workspace slug.")],
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[str, typer.Option("--role", help="owner | admin | operator | analyst")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add an operator to a workspace (the password is prompted for, or read from stdin)."""
    from siyu.workspace import service
    from siyu.workspace.models import Role

    try:
        chosen_role = Role(role)
    except ValueError:
        raise fail(f"unknown role {role!r}; choose owner, admin, operator or analyst", 2) from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _unit_of_work() as session:
        target = service.get_workspace_by_slug(session, workspace)
        operator = service.create_operator(
            session, target, email, chosen_role, _cli_actor(), password=password, display_name=name
        )
        payload = {
            "id": operator.id,
            "email": operator.email,
            "workspace": workspace,
            "role": chosen_role.value,
        }
    emit(payload, as_json, f"added {operator.email} to {workspace} as {chosen_role.value}")


@token_app.command("create")
def token_create(
    workspace: Annotated[str, typer.Option("--workspace", help="Workspace slug.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Create an API token and print it once."""
    from siyu.workspace import service

    with _unit_of_work() as session:
        target = service.get_workspace_by_slug(session, workspace)
        token, secret = service.create_token(session, target.id, name, _cli_actor())
        payload = {"token": secret, "id": token.id, "workspace": workspace, "name": token.name}
    emit(payload, as_json, secret)


@token_app.command("revoke")
def token_revoke(
    workspace: Annotated[str, typer.Option("--workspace")],
    token_id: Annotated[int, typer.Argument()],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API token by id."""
    from siyu.workspace import service

    with _unit_of_work() as session:
        target = service.get_workspace_by_slug(session, workspace)
        service.revoke_token(session, target.id, token_id, _cli_actor())
    emit({"revoked": token_id}, as_json, f"revoked token {token_id}")


# --- plumbing ---------------------------------------------------------------------------


def _cli_actor() -> Any:
    import getpass

    from siyu.workspace.audit import Actor

    return Actor("system", label=f"cli:{getpass.getuser()}")


@contextmanager
def _unit_of_work() -> Iterator[Session]:
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
