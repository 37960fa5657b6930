"""Enclosure rules, one module per family; importing this package registers them all."""

from autobound.rules import linear, piecewise, smooth  # noqa: F401
