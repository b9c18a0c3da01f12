"""``python -m bot``: the same CLI as ``youthbot``."""

from bot.cli import entry

entry()
