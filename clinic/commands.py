"""Command-line commands: flask --app app <command>."""

import click
from flask import Flask
from flask.cli import with_appcontext

from . import accounts, sessions


@click.command("reset-demo")
@with_appcontext
def reset_demo_command() -> None:
    """Create the demo account or restore its password (between workshop groups)."""
    user = accounts.reset_demo()
    click.echo(f"Demo account ready: {user.username}")


@click.command("purge-expired")
@with_appcontext
def purge_expired_command() -> None:
    """Delete expired refresh tokens, revocations and old failed-login records."""
    counts = sessions.purge_expired()
    counts["login_failures"] = accounts.purge_login_failures()
    for table, count in counts.items():
        click.echo(f"{table}: {count} removed")


def register(app: Flask) -> None:
    """Attach every command to the app's CLI."""
    for command in (reset_demo_command, purge_expired_command):
        app.cli.add_command(command)
