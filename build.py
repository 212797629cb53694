#!/usr/bin/env python3
"""Build the Anki deck in source/ into dist/: `python build.py --help`."""

from pathlib import Path

import click

from deckbuild import __version__
from deckbuild.pipeline import build as build_deck
from deckbuild.pipeline import prepare

source_option = click.option(
    "--source", "source_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("source"),
    show_default=True, help="Directory with deck.yaml and the entry files.")
templates_option = click.option(
    "--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("templates"), show_default=True, help="Directory with the card templates and CSS.")


@click.group()
@click.version_option(__version__, prog_name="deckbuild")
def cli() -> None:
    """Build an Anki deck of French vocabulary from the YAML entries in source/."""


@cli.command()
@source_option
@templates_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"),
              show_default=True, help="Directory the .apkg is written to.")
@click.option("--locked", is_flag=True,
              help="Fail instead of updating source/deck.lock (for CI and releases).")
def build(source_dir: Path, templates_dir: Path, out_dir: Path, locked: bool) -> None:
    """Validate the sources and write dist/<slug>-<version>.apkg."""
    path = build_deck(source_dir, templates_dir, out_dir, locked=locked)
    click.echo(f"wrote {path}")


@cli.command()
@source_option
@templates_option
def validate(source_dir: Path, templates_dir: Path) -> None:
    """Check the sources and templates without writing anything."""
    result = prepare(source_dir, templates_dir)
    click.echo(f"ok: {len(result.notes)} entries in {result.deck.manifest.name} {result.deck.manifest.version}")


if __name__ == "__main__":
    cli()
