"""Entry point of the ``autobound`` console script; the commands live in
:mod:`autobound.apps.cli`."""

from autobound.apps.cli import ExitCode, app, main

__all__ = ["ExitCode", "app", "main"]
