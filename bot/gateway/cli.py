"""`flask staff create` and other operator commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core.accounts import ROLES, create_account
from core.db import session_scope

staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--department", default=None, help="Department (reviewers and A-post experts).")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.password_option()
def create(username: str, role: str, department: str | None, display_name: str | None, password: str) -> None:
    try:
        with session_scope() as session:
            create_account(session, username, password, role, department, display_name)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {role} account {username}")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_cli)
