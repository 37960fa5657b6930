"""Traced programs kept on disk, so that a new process need not trace them again.

JAX's persistent compilation cache keeps XLA's executables, but its key is the lowered
program, so every process first traces its functions anew: for the staged node programs of
:mod:`autobound.staged` (the applications' branch and bound and integration) that tracing is
most of a first call (``sin(x + exp(x))`` at degree 4 in outward rounding: about 4 s of 7).
:class:`Kept` wraps such a program: when JAX's compilation cache is on
(``jax_compilation_cache_dir``), each traced and lowered form (a ``jax.export`` artifact:
StableHLO) is written to ``autobound-traces/`` in that folder, and a later process with the
same program, argument shapes, engine sources and JAX versions reads it back instead of
tracing; XLA's own cache then supplies the executable.

The key of an entry hashes everything the program depends on: a hash of the engine's source
files (any change of the code misses), the jax, jaxlib and numpy versions, the backend, the JAX
settings that change tracing (64-bit types, default matmul precision, dtype promotion), the
program's own static description (a :class:`~autobound.staged.Group`, the degree, rounding,
dtype) and the structure, shapes and dtypes of the arguments.  The program read back is the
very StableHLO that tracing produced, so its results are the same bit for bit.  Without a
cache folder, on several devices, or where a description cannot be written canonically,
the program runs as it is.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import jax
import jaxlib
import numpy as np
from jax import export

from autobound.enclosure import Expansion
from autobound.interval import Interval

__all__ = ["Kept"]

#: Folder of the entries, inside JAX's compilation cache folder.
FOLDER = "autobound-traces"

for _cls in (Interval, Expansion):  # the pytree nodes of the staged programs' arguments
    export.register_namedtuple_serialization(_cls, serialized_name=f"autobound.{_cls.__name__}")


@functools.cache
def _sources() -> str:
    """A hash of the engine's source files (this package, ``autobound/``)."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def canonical(obj: Any) -> str | None:
    """A text that determines `obj` (None where it cannot be written so: then no key)."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return repr(obj)
    if isinstance(obj, float):
        return obj.hex()
    if isinstance(obj, Fraction):
        return f"Fraction({obj.numerator},{obj.denominator})"
    if isinstance(obj, (tuple, list)):
        parts = [canonical(v) for v in obj]
        return None if None in parts else f"{type(obj).__name__}({','.join(parts)})"
    if isinstance(obj, dict):
        items = [(canonical(k), canonical(v)) for k, v in obj.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "dict(" + ",".join(f"{k}:{v}" for k, v in sorted(items)) + ")"
    if isinstance(obj, (np.ndarray, np.generic)):
        a = np.asarray(obj)
        return f"array({a.dtype.str},{a.shape},{hashlib.sha256(a.tobytes()).hexdigest()})"
    if isinstance(obj, np.dtype):
        return f"dtype({obj.str})"
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = [f for f in dataclasses.fields(obj) if f.compare]
        parts = [canonical(getattr(obj, f.name)) for f in fields]
        if None in parts:
            return None
        names = ",".join(f"{f.name}={p}" for f, p in zip(fields, parts, strict=True))
        return f"{type(obj).__qualname__}({names})"
    return None


def _folder() -> Path | None:
    """The entries' folder: in JAX's compilation cache folder, if that is set and one device
    is in use (an exported program is lowered for one device)."""
    where = jax.config.jax_compilation_cache_dir
    if not where or jax.device_count() > 1:
        return None
    return Path(where) / FOLDER


class Kept:
    """``jax.jit(fn, compiler_options=options)``, its traced forms kept on disk (see the
    module docstring).  `description`: everything besides the arguments' shapes that the
    traced program depends on (canonically written by :func:`canonical`)."""

    def __init__(self, fn: Any, description: Any, options: dict[str, Any] | None = None):
        self.fn = fn
        self.options = dict(options or {})
        self.jitted = jax.jit(fn, compiler_options=self.options or None)
        self.description = canonical(description)
        self._callers: dict[Any, Any] = {}

    def __call__(self, *args: Any) -> Any:
        if self.description is None or not jax.config.jax_compilation_cache_dir:
            return self.jitted(*args)
        leaves, tree = jax.tree.flatten(args)
        signature = (tree, tuple(_aval(leaf) for leaf in leaves))
        caller = self._callers.get(signature)
        if caller is not None:
            return caller(*args)
        folder = _folder()
        if folder is None:
            return self.jitted(*args)
        caller = self._caller(folder / f"{self._key(*signature)}.stablehlo", args)
        try:
            out = caller(*args)
        except Exception:  # a program read back that this JAX cannot run: trace it here
            caller = self.jitted
            out = caller(*args)
        self._callers[signature] = caller
        return out

    def _key(self, tree: Any, avals: tuple) -> str:
        c = jax.config
        parts = (
            _sources(),
            jax.__version__,
            jaxlib.__version__,
            np.__version__,
            jax.default_backend(),
            repr((c.jax_enable_x64, c.jax_default_matmul_precision, c.jax_numpy_dtype_promotion)),
            self.description,
            canonical(self.options),
            str(tree),
            ",".join(str(a) for a in avals),
        )
        return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()

    def _caller(self, path: Path, args: tuple) -> Any:
        """The program for arguments like `args`: read back from `path`, or traced now and
        written there (the plain jitted program where it cannot be exported)."""
        try:
            exported = export.deserialize(bytearray(path.read_bytes()))
        except Exception:  # missing, partial or foreign: traced below
            exported = None
        if exported is None:
            specs = jax.tree.map(_spec, args)
            try:
                exported = export.export(jax.jit(self.fn))(*specs)
            except Exception:  # not exportable here: run it as it is
                return self.jitted
            try:
                _write(path, exported.serialize())
            except Exception:  # a read-only folder, no flatbuffers: kept in this process only
                pass
        return jax.jit(exported.call, compiler_options=self.options or None)


def _aval(leaf: Any) -> tuple:
    """Shape, dtype and weak type of an argument (attributes of a JAX array read directly:
    this runs on every call, and ``jax.typeof`` costs twice as much)."""
    if isinstance(leaf, jax.Array):
        return leaf.shape, leaf.dtype, leaf.weak_type
    aval = jax.typeof(leaf)
    return aval.shape, aval.dtype, aval.weak_type


def _spec(leaf: Any) -> jax.ShapeDtypeStruct:
    """The abstract argument that `leaf` is an instance of (for ``jax.export``)."""
    shape, dtype, weak_type = _aval(leaf)
    return jax.ShapeDtypeStruct(shape, dtype, weak_type=weak_type)


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (a reader never sees a partial file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
