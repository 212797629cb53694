"""`python -m deckbuild`: the same commands as build.py."""

from .cli import cli

cli(prog_name="deckbuild")
