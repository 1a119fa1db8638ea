"""The ``siyu`` command line: serve, demo, database, workspaces, operators, tokens, jobs."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from siyu.analytics.cli import analytics_app
from siyu.channels.cli import import_content
from siyu.community.cli import community_app
from siyu.config import get_settings
from siyu.connectors.wecom.cli import wecom_app
from siyu.coupons.cli import coupons_app
from siyu.customers.cli import customer_app
from siyu.engagement.cli import camps_app
from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, fail, unit_of_work
from siyu.live.cli import live_app
from siyu.loyalty.cli import points_app
from siyu.orders.cli import import_app
from siyu.outreach.cli import outreach_app
from siyu.referral.cli import referral_app
from siyu.workspace.audit import cli_actor

if TYPE_CHECKING:
    pass

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
import_app.command("content")(import_content)
app.add_typer(import_app, name="import")
app.add_typer(customer_app, name="customer")
app.add_typer(points_app, name="points")
app.add_typer(community_app, name="community")
app.add_typer(coupons_app, name="coupons")
app.add_typer(referral_app, name="referral")
app.add_typer(camps_app, name="camps")
app.add_typer(analytics_app, name="analytics")
app.add_typer(wecom_app, name="wecom")
app.add_typer(outreach_app, name="outreach")
app.add_typer(live_app, name="live")

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
    _check_connection_budget(workers)
    uvicorn.run(
        "siyu.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


# How long a worker process may take to answer uvicorn's supervisor. Its default, 5 s, is less
# than a worker spends importing the app on a busy machine: the supervisor then killed every
# worker before it started and replaced it, forever, and `--workers N` never served.
WORKER_HEALTHCHECK_SECONDS = 60
CONNECTIONS_KEPT_FREE = 10  # Celery workers and beat, migrations, psql, `siyu` commands


def _check_connection_budget(workers: int) -> None:
    """Server mode: warn when the serving processes' pools could take PostgreSQL's last
    connections (workers × SIYU_DB_POOL_SIZE + what others need ≤ max_connections − reserved)."""
    from sqlalchemy import text

    from siyu.db import database

    settings = get_settings()
    if settings.is_sqlite:
        return
    with database.engine.connect() as connection:
        limit = int(connection.execute(text("SHOW max_connections")).scalar_one())
        reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    database.reset()  # the serving processes open their own
    wanted = workers * settings.pool_size + CONNECTIONS_KEPT_FREE
    if wanted > limit - reserved:
        typer.secho(
            f"warning: {workers} workers × {settings.pool_size} connections "
            f"(SIYU_DB_POOL_SIZE) + {CONNECTIONS_KEPT_FREE} for workers and tools exceed "
            f"PostgreSQL's max_connections {limit} − {reserved} reserved; lower "
            "SIYU_WEB_CONCURRENCY or SIYU_DB_POOL_SIZE, or raise max_connections.",
            fg=typer.colors.YELLOW,
            err=True,
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
    from siyu.config import follow_serving_port, reset_settings_cache
    from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, seed_demo

    follow_serving_port(host, port)  # links made while seeding point at this port too
    os.environ["SIYU_WECOM_DEMO_FAKE"] = "true"  # the demo's WeCom corp is a local fake
    reset_settings_cache()
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

    with unit_of_work() as session:
        workspace = service.create_workspace(session, slug, name, cli_actor(), timezone=timezone)
        payload = {"id": workspace.id, "slug": workspace.slug, "name": workspace.name}
    emit(payload, as_json, f"created workspace {slug} ({name})")


@operator_app.command("create")
def operator_create(
    workspace: WorkspaceSlug,
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
    from siyu.workspace.roles import Role

    try:
        chosen_role = Role(role)
    except ValueError:
        raise fail(f"unknown role {role!r}; choose owner, admin, operator or analyst", 2) from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        target = service.get_workspace_by_slug(session, workspace)
        operator = service.create_operator(
            session, target, email, chosen_role, cli_actor(), password=password, display_name=name
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
    workspace: WorkspaceSlug,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "cli",
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help="Comma-separated: read, write, pii (reveal, export or erase personal data), "
            "admin (tokens, operators, settings).",
        ),
    ] = "read,write",
    as_json: JsonFlag = False,
) -> None:
    """Create an API token and print it once."""
    from siyu.workspace import service

    with unit_of_work() as session:
        chosen = service.parse_scopes(scopes)
        target = service.get_workspace_by_slug(session, workspace)
        token, secret = service.create_token(session, target.id, name, cli_actor(), scopes=chosen)
        payload = {
            "token": secret,
            "id": token.id,
            "workspace": workspace,
            "name": token.name,
            "scopes": token.scopes.split(),
        }
    emit(payload, as_json, secret)


@token_app.command("revoke")
def token_revoke(
    workspace: WorkspaceSlug,
    token_id: Annotated[int, typer.Argument()],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API token by id."""
    from siyu.workspace import service

    with unit_of_work() as session:
        target = service.get_workspace_by_slug(session, workspace)
        service.revoke_token(session, target.id, token_id, cli_actor())
    emit({"revoked": token_id}, as_json, f"revoked token {token_id}")


# --- plumbing ---------------------------------------------------------------------------


def main() -> None:
    app()


if __name__ == "__main__":
    main()
