"""``siyu wecom ...``: connect a workspace to its WeCom corp, and pull everything from it.

``siyu.cli`` is imported inside each command (it imports this module to register it).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from siyu.kit.cli import JsonFlag, WorkspaceSlug, emit, fail, unit_of_work

wecom_app = typer.Typer(help="WeCom (企业微信): connect and sync.", no_args_is_help=True)


@wecom_app.command("connect")
def connect_command(
    workspace: WorkspaceSlug,
    corp_id: Annotated[str, typer.Option("--corp-id", help="The corp id (CorpID).")],
    agent_id: Annotated[int, typer.Option("--agent-id", min=1, help="The app's agent id.")],
    callback_token: Annotated[str, typer.Option("--callback-token", help="Callback Token.")],
    encoding_aes_key: Annotated[str, typer.Option("--encoding-aes-key", help="EncodingAESKey.")],
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the app's secret from stdin.")
    ] = False,
    api_base: Annotated[str, typer.Option("--api-base", help="WeCom API base URL.")] = (
        "https://qyapi.weixin.qq.com"
    ),
    as_json: JsonFlag = False,
) -> None:
    """Save the workspace's WeCom settings (the secret is read from stdin, never echoed)."""
    from siyu.connectors.wecom import service
    from siyu.workspace import service as workspace_service
    from siyu.workspace.audit import cli_actor

    if not secret_stdin:
        raise fail("give --secret-stdin and pipe the secret in", 2)
    secret = sys.stdin.readline().strip()
    if not secret:
        raise fail("no secret on stdin", 2)
    form = service.ConnectForm(
        corp_id, agent_id, secret, callback_token, encoding_aes_key, api_base
    )
    with unit_of_work() as session:
        workspace_id = workspace_service.get_workspace_by_slug(session, workspace).id
        connection = service.connect(session, workspace_id, form, cli_actor())
        payload = {
            "workspace": workspace,
            "corp_id": connection.corp_id,
            "agent_id": connection.agent_id,
            "api_base": connection.api_base,
            "callback_path": f"/wecom/callback/{workspace}",
        }
    emit(payload, as_json, f"connected {workspace} to WeCom corp {payload['corp_id']}")


@wecom_app.command("sync")
def sync_command(workspace: WorkspaceSlug, as_json: JsonFlag = False) -> None:
    """Pull staff, contacts (as fans), tags and groups from WeCom, and push tag changes."""
    from siyu.connectors.wecom.client import WecomError
    from siyu.connectors.wecom.connection import client_for
    from siyu.connectors.wecom.sync import sync_all
    from siyu.workspace import service as workspace_service

    with unit_of_work() as session:
        workspace_id = workspace_service.get_workspace_by_slug(session, workspace).id
        client = client_for(session, workspace_id)
        try:
            summary = sync_all(session, workspace_id, client)
        except WecomError as error:
            raise fail(
                f"WeCom refused {error.endpoint}: errcode {error.errcode} {error.errmsg}"
            ) from error
        finally:
            client.close()
    counts = summary.as_dict()
    emit(counts, as_json, ", ".join(f"{name} {value}" for name, value in counts.items()))
