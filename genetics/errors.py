"""The one exception hierarchy of bigcats.

Every error a user can cause with their data is an :class:`InputDataError`; the CLI turns it
into one line, ``bigcats: error: FILE:LINE: message``, and exit status 1. Programming errors stay
ordinary Python exceptions (and show a traceback), so a bug is never disguised as bad input.

This module lives in :mod:`genetics` because it is the base layer: :mod:`connectivity` imports
it (landscape genetics joins the two anyway) and :mod:`cli` imports both; nothing imports ``cli``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["BigcatsError", "InputDataError", "ConfigError"]


class BigcatsError(Exception):
    """Base class of every error bigcats raises on purpose."""

    exit_code: int = 1


@dataclass
class _Where:
    path: str | None = None
    line: int | None = None
    sample: str | None = None
    locus: str | None = None


class InputDataError(BigcatsError, ValueError):
    """Bad input data: names the file, line, sample and locus where known.

    Parameters
    ----------
    message : str
        What is wrong, phrased for the user.
    path : str or os.PathLike, optional
        The file the problem is in.
    line : int, optional
        1-based line number in that file.
    sample, locus : str, optional
        The sample and locus concerned.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        sample: str | None = None,
        locus: str | None = None,
    ) -> None:
        self.message = message
        self.where = _Where(None if path is None else os.fspath(path), line, sample, locus)
        super().__init__(self.one_line())

    @property
    def path(self) -> str | None:
        return self.where.path

    @property
    def line(self) -> int | None:
        return self.where.line

    def located(
        self, *, path: str | os.PathLike[str] | None = None, line: int | None = None
    ) -> "InputDataError":
        """Return the same error with a file (and line) filled in where they were unknown."""
        return type(self)(
            self.message,
            path=self.where.path or (None if path is None else os.fspath(path)),
            line=self.where.line if self.where.line is not None else line,
            sample=self.where.sample,
            locus=self.where.locus,
        )

    def one_line(self) -> str:
        """``FILE:LINE: sample S, locus L: message`` with the unknown parts left out."""
        head = ""
        if self.where.path:
            head = self.where.path + (f":{self.where.line}" if self.where.line else "") + ": "
        elif self.where.line:
            head = f"line {self.where.line}: "
        parts = []
        if self.where.sample is not None:
            parts.append(f"sample {self.where.sample!r}")
        if self.where.locus is not None:
            parts.append(f"locus {self.where.locus!r}")
        ctx = (", ".join(parts) + ": ") if parts else ""
        return (head + ctx + self.message).replace("\n", " ")


class ConfigError(InputDataError):
    """A configuration file (resistance model TOML, Circuitscape .ini, ...) is invalid."""
