"""Every `flask` command and command group explains itself: `--help` works and names,
with a sentence, every option an operator can pass."""

from __future__ import annotations

import click


def commands(group: click.Group, path: tuple[str, ...] = ()):
    """(path, command) for every group and command under `group`, depth first."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def test_the_app_registers_its_command_groups(app):
    names = set(app.cli.commands)
    assert {"accounts", "cache", "create-admin", "db", "interest", "ledger", "seed-demo"} <= names
    assert {"statements", "transfers", "users"} <= names


def test_every_command_and_group_help_exits_zero_and_documents_each_option(app, runner):
    problems = []
    for path, command in commands(app.cli):
        result = runner.invoke(args=[*path, "--help"])
        where = "flask " + " ".join(path)
        if result.exit_code != 0:
            problems.append(f"{where} --help exited {result.exit_code}: {result.output[:200]}")
            continue
        if not (command.help or command.short_help):
            problems.append(f"{where} has no description")
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            long_names = [name for name in param.opts if name.startswith("--")]
            if not (param.help or "").strip():
                problems.append(f"{where} {'/'.join(param.opts)} has no help text")
            for name in long_names:
                if name not in result.output:
                    problems.append(f"{where} --help does not mention {name}")
    assert problems == [], "\n".join(problems)


def test_create_admin_help_explains_the_name(runner):
    result = runner.invoke(args=["create-admin", "--help"])
    assert result.exit_code == 0
    assert "--name" in result.output and "full name" in result.output
    assert "default: Administrator" in result.output
