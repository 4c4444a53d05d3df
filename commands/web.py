"""The web door: `onevisit web` serves the API and pages; `onevisit token ...` manages systems' tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import JsonOpt, OperatorOpt, acting_operator, app_settings, local_time, print_json, print_table, \
    reading, write

app = typer.Typer()
token_app = typer.Typer(name="token", help="Tokens for other systems (the provincial platform, agencies' own "
                        "review systems).", no_args_is_help=True)

HostOpt = Annotated[str | None, typer.Option("--host", help="The address to listen on [ONEVISIT_WEB_HOST, 127.0.0.1].")]
PortOpt = Annotated[int | None, typer.Option("--port", help="The port [ONEVISIT_WEB_PORT, 8000].")]


@app.command()
def web(host: HostOpt = None, port: PortOpt = None) -> None:
    """Serve the web (JSON API under /api/v1, OpenAPI docs at /docs, the hall's pages) with uvicorn."""
    from commands.common import read_only

    with read_only():  # refuse an uninitialised database before listening
        pass
    server = web_server(host, port)
    server.run()


def web_server(host: str | None = None, port: int | None = None):
    """A uvicorn server for the app on the settings' database (also started by `serve --web`)."""
    import uvicorn

    from web.app import create_app

    settings = app_settings()
    config = uvicorn.Config(create_app(settings), host=host or settings.web_host, port=port or settings.web_port,
                            log_level="warning", access_log=False, server_header=False)
    return uvicorn.Server(config)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The system's name, e.g. province-platform.")],
    scope: Annotated[str, typer.Option("--scope", help="submit,supplement,read,decide")],
    agency: Annotated[str | None, typer.Option("--agency", help="Bind it to one agency (required to decide).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a token (administrators); it is printed once and only its hash is kept."""
    from services import access

    who = acting_operator(operator)
    made = write(lambda s: access.create_token(s, name, scope, agency=agency, by=who, now=access.real_now()))
    if as_json:
        print_json(made.__dict__)
        return
    typer.echo(f"token {made.name} ({', '.join(made.scopes)}{', agency ' + made.agency if made.agency else ''}):")
    typer.echo(made.token)
    typer.echo("shown once: keep it now (send it as `Authorization: Bearer TOKEN`)", err=True)


@token_app.command("list")
def token_list(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Tokens (never the token itself): name, scopes, agency, state."""
    from approvals.permissions import Act
    from services.queries.staff import list_tokens

    with reading(operator, Act.ADMINISTER) as (read, _):
        rows = list_tokens(read)
    if as_json:
        print_json(rows)
        return
    print_table("tokens", ["name", "scopes", "agency", "created", "revoked"],
                [[r["name"], ", ".join(r["scopes"]), r["agency"], f"{local_time(r['created_at'])} by {r['created_by']}",
                  f"{local_time(r['revoked_at'])} by {r['revoked_by']}" if r["revoked_at"] else None] for r in rows])


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")], operator: OperatorOpt = None) -> None:
    """Revoke a token: its next request is refused."""
    from services import access

    who = acting_operator(operator)
    changed = write(lambda s: access.revoke_token(s, name, by=who, now=access.real_now()))
    typer.echo(f"token {name} " + ("revoked" if changed else "was already revoked"))
