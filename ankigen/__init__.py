"""ankigen: build Anki decks from markdown study notes."""

__version__ = "0.1.0"
