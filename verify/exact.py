"""Exact numbers in certificates: read and written without rounding.

A number is an int, a decimal string (``"0.1"`` is 1/10, not the double nearest to it), a
rational ``"p/q"``, or a C99 hex float (``"0x1.8p-3"``, any number of hex digits).  JSON
floats, NaN and infinities are refused: readers round them differently.  Lengths and
exponents are bounded, so a hostile number cannot make the reader build a huge integer.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from autobound.errors import CertificateError

MAX_NUMBER_CHARS = 2000
MAX_EXPONENT = 1200  # of a decimal: 10**1200
MAX_BITS = 20_000  # binary exponent of a hex float: exact products of tiny numbers need many

_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RATIONAL = re.compile(r"[+-]?\d+/\d+")
_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?")


def read_number(value: Any) -> Fraction:
    """The exact rational a certificate number denotes (never rounded).

    Accepts an int, a decimal string (``"-1.25e-3"``), a rational ``"p/q"`` or a hex float
    (``"0x1.8p-3"``); raises :class:`~autobound.errors.CertificateError` for anything else
    (floats, NaN/inf, other text, absurd exponents).
    """
    if isinstance(value, bool):
        raise CertificateError(f"{value!r} is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        raise CertificateError(
            f'{value!r} is a JSON float; write numbers as exact strings (e.g. "0.1", "1/3")'
        )
    if not isinstance(value, str) or len(value) > MAX_NUMBER_CHARS:
        raise CertificateError(f"{str(value)[:60]!r} is not an exact number")
    text = value.strip()
    if _DECIMAL.fullmatch(text):
        exponent = re.search(r"[eE]([+-]?\d+)$", text)
        if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
            raise CertificateError(f"{text[:60]!r}: exponent out of range")
        return Fraction(text)
    if _RATIONAL.fullmatch(text):
        num, den = text.split("/")
        if int(den) == 0:
            raise CertificateError(f"{text[:60]!r}: zero denominator")
        return Fraction(int(num), int(den))
    if _HEX.fullmatch(text):
        return _read_hex(text)
    raise CertificateError(
        f"{text[:60]!r} is not an exact number (a decimal, p/q, or a hex float such as 0x1p-3)"
    )


def _read_hex(text: str) -> Fraction:
    """A C99 hex float read exactly, with any number of hex digits (``float.fromhex`` would
    round to binary64)."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")[2:]
    mantissa, _, exponent = body.lower().partition("p")
    whole, _, frac = mantissa.partition(".")
    exp = int(exponent or 0) - 4 * len(frac)
    if abs(exp) > MAX_BITS:
        raise CertificateError(f"{text[:60]!r}: exponent out of range")
    return sign * Fraction(int(whole + frac or "0", 16)) * Fraction(2) ** exp


def write_number(value: Any) -> str:
    """An exact string for a finite int, Fraction or binary float: its exact decimal expansion
    when that is short (at most 24 significant characters), else a hex float (``float.hex``
    for binary64 numbers, ``0x<m>p-<k>`` for other dyadic rationals), else ``"p/q"``.
    :func:`read_number` gives back the same value."""
    q = value if isinstance(value, Fraction) else Fraction(value)
    den = q.denominator
    if den == 1:
        return str(q.numerator)
    if den & (den - 1):
        return f"{q.numerator}/{den}"
    text = _exact_decimal(q)
    if len(text.lstrip("-0.")) <= 24:
        return text
    if abs(q) < 2**1024 and Fraction(float(q)) == q:
        return float(q).hex()
    k = den.bit_length() - 1
    return f"{'-' if q < 0 else ''}0x{abs(q.numerator):x}p-{k}"


def _exact_decimal(q: Fraction) -> str:
    k = q.denominator.bit_length() - 1
    digits = str(abs(q.numerator) * 5**k).rjust(k + 1, "0")
    sign = "-" if q < 0 else ""
    if k == 0:
        return sign + digits
    return f"{sign}{digits[:-k]}.{digits[-k:]}".rstrip("0").rstrip(".")
