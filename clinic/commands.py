"""Command-line commands: flask --app app <command>."""

import click
from flask import Flask
from flask.cli import with_appcontext

from . import accounts, sessions
from .labs import BY_SLUG, LABS
from .labs.base import MODES


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


@click.group("lab")
def lab_group() -> None:
    """List the labs, or replay one in broken or fixed mode."""


@lab_group.command("list")
@with_appcontext
def lab_list_command() -> None:
    """Every lab: slug, title and the symptom it reproduces."""
    for lab in LABS:
        click.echo(f"{lab.slug:14} {lab.title}  ({lab.symptom})")


@lab_group.command("run")
@click.argument("slug", type=click.Choice([lab.slug for lab in LABS]))
@click.option("--mode", type=click.Choice(MODES), default="broken", show_default=True)
@with_appcontext
def lab_run_command(slug: str, mode: str) -> None:
    """Replay a lab's story with real requests; exit 0 when it ran as designed."""
    lab = BY_SLUG[slug]
    scenario = lab.run(mode)
    for number, step in enumerate(scenario.steps, 1):
        body = step.response["body"]
        code = body.get("error") if isinstance(body, dict) else None
        click.echo(f"{number}. {step.title}")
        click.echo(f"   {step.request['method']} {step.request['path']} -> "
                   f"{step.response['status']}{f' {code}' if code else ''}")
        if step.note:
            click.echo(f"   {step.note}")
    click.echo(f"outcome: {scenario.outcome}   error: {scenario.error}")
    click.echo(f"diagnosis: {scenario.diagnosis}")
    expected = "failed" if mode == "broken" else "ok"
    if scenario.outcome != expected:
        raise click.ClickException(f"expected the {mode} story to end {expected}")


def register(app: Flask) -> None:
    """Attach every command to the app's CLI."""
    for command in (reset_demo_command, purge_expired_command, lab_group):
        app.cli.add_command(command)
