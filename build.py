#!/usr/bin/env python3
"""Build the Anki deck in source/ into dist/: `python build.py --help` (the same as `python -m deckbuild`)."""

from deckbuild.cli import cli

if __name__ == "__main__":
    cli()
