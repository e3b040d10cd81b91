"""CLI verbs (filled in by the issue that owns this module)."""

from __future__ import annotations

import click

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []
