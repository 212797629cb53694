"""Build Anki decks of French vocabulary from YAML sources."""

__version__ = "0.1.0"
