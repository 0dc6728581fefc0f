"""`flask --app app users ...`: add users, change their password, role and data scope, disable
them, reset their second factor, and require two-factor sign-in. Every change ends the user's
sessions where it takes access away and is written to the audit log as done from the CLI."""
from __future__ import annotations

import getpass

import click

from data import twofactor, users


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (a container): still say it came from the CLI
        return "cli"


def users_group(engine_getter) -> click.Group:
    @click.group("users")
    def group():
        """Manage the dashboard's users."""

    def run(action):
        try:
            return action()
        except (users.UserError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None

    scope_options = [
        click.option("--seller", "sellers", multiple=True, metavar="ID",
                     help="Limit to this seller (repeat, or separate with commas)."),
        click.option("--state", "states", multiple=True, metavar="UF",
                     help="Limit to customers in this state (repeat, or separate with commas)."),
    ]

    def with_scope(fn):
        for option in reversed(scope_options):
            fn = option(fn)
        return fn

    @group.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(users.ROLES), default="viewer", show_default=True)
    @with_scope
    @click.password_option(help="Prompted for when not given.")
    def create(username, role, sellers, states, password):
        """Add a user (optionally limited to sellers and/or customer states)."""
        scope = run(lambda: users.parse_scope(sellers, states))
        run(lambda: users.create(engine_getter(), username, password, role, scope=scope, actor=_actor()))
        limited = f", limited to {scope.describe()}" if scope.limited else ""
        click.echo(f"created {username} ({role}{limited})")

    @group.command("list")
    def list_():
        """List users with their roles, state, second factor and scope."""
        for u in users.list_users(engine_getter()):
            click.echo("\t".join([u.username, u.role, "active" if u.active else "disabled",
                                  "2fa" if u.totp_enabled else "-", u.scope.describe() or "everything"]))

    @group.command("set-password")
    @click.argument("username")
    @click.password_option(help="Prompted for when not given.")
    def set_password(username, password):
        """Give a user a new password (ends their sessions)."""
        run(lambda: users.set_password(engine_getter(), username, password, actor=_actor()))
        click.echo(f"password changed for {username}; their sessions have ended")

    @group.command("set-role")
    @click.argument("username")
    @click.argument("role", type=click.Choice(users.ROLES))
    def set_role(username, role):
        """Change a user's role (ends their sessions)."""
        run(lambda: users.set_role(engine_getter(), username, role, actor=_actor()))
        click.echo(f"{username} is now {role}")

    @group.command("set-scope")
    @click.argument("username")
    @with_scope
    @click.option("--everything", is_flag=True, help="Lift the limit: the user sees all data.")
    def set_scope(username, sellers, states, everything):
        """Limit what a user sees to sellers and/or customer states (ends their sessions)."""
        if everything and (sellers or states):
            raise click.UsageError("--everything goes alone, without --seller or --state")
        if not everything and not (sellers or states):
            raise click.UsageError("give --seller and/or --state, or --everything to lift the limit")
        scope = run(lambda: users.parse_scope(sellers, states))
        run(lambda: users.set_scope(engine_getter(), username, scope, actor=_actor()))
        click.echo(f"{username} now sees {scope.describe() or 'everything'}")

    @group.command("disable")
    @click.argument("username")
    def disable(username):
        """Stop a user from signing in and end their sessions (their data and history stay)."""
        run(lambda: users.set_active(engine_getter(), username, False, actor=_actor()))
        click.echo(f"disabled {username}")

    @group.command("enable")
    @click.argument("username")
    def enable(username):
        """Let a disabled user sign in again."""
        run(lambda: users.set_active(engine_getter(), username, True, actor=_actor()))
        click.echo(f"enabled {username}")

    @group.command("reset-2fa")
    @click.argument("username")
    def reset_2fa(username):
        """Turn off a user's second factor (a lost phone); they enrol again if it is required."""
        run(lambda: twofactor.reset(engine_getter(), username, actor=_actor()))
        click.echo(f"two-factor sign-in reset for {username}")

    @group.command("require-2fa")
    @click.argument("who", type=click.Choice(twofactor.REQUIRE_CHOICES))
    def require_2fa(who):
        """Require two-factor sign-in of nobody (off), of admins, or of all users."""
        run(lambda: twofactor.set_requirement(engine_getter(), who, actor=_actor()))
        click.echo(f"two-factor sign-in required: {who}")

    return group
