"""Griffe extension: the docstrings' reStructuredText roles as cross-references.

The project's docstrings name other objects with roles such as ``:class:`~autobound.Interval```
(readable in ``help()``); mkdocstrings would show them literally.  This extension rewrites each
role, once the package is loaded, into an *optional* autorefs link: a link where the target is
rendered somewhere on the site, else the name as code, never a broken-link warning.  A leading
``~`` shows the last component only, as in Sphinx.  Targets are resolved in the docstring's
own scope first (``:meth:`clear_cache``` inside a class), then as full dotted paths.
"""

from __future__ import annotations

import html
import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj):`(~?)([\w.]+)`")


def _target(obj: griffe.Object, name: str) -> str:
    """The canonical path of `name` seen from `obj` (the name itself when unknown)."""
    scope: griffe.Object | None = obj
    while scope is not None:
        try:
            path = scope.resolve(name)
            break
        except (griffe.NameResolutionError, ValueError, AttributeError):
            scope = scope.parent
    else:
        path = name
    collection = obj.modules_collection
    try:
        return collection[path].canonical_path  # through aliases (re-exports)
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        pass
    # A lazy re-export (a module __getattr__, invisible to static analysis): the one
    # submodule of the package that defines the name.
    package, _, last = path.rpartition(".")
    try:
        modules = collection[package].modules.values()
    except (KeyError, AttributeError, ValueError):
        return path
    found = [m[last].path for m in modules if last in m.members and not m[last].is_alias]
    return found[0] if len(found) == 1 else path


def _rewrite(obj: griffe.Object) -> None:
    if obj.docstring is not None:

        def link(match: re.Match) -> str:
            short, name = match.groups()
            title = name.rsplit(".", 1)[-1] if short else name
            ident = html.escape(_target(obj, name), quote=True)
            code = f"<code>{html.escape(title)}</code>"
            return f'<autoref identifier="{ident}" optional>{code}</autoref>'

        obj.docstring.value = ROLE.sub(link, obj.docstring.value)
    for member in obj.members.values():
        if not member.is_alias:
            _rewrite(member)


class SphinxRoles(griffe.Extension):
    """Rewrite roles in every docstring of a loaded package (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        _rewrite(pkg)
