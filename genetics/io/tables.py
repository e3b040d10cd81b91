"""Writing result tables (CSV, TSV, JSON) atomically, or to a stream."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from ..errors import InputDataError
from .atomic import atomic_open

__all__ = ["TABLE_FORMATS", "table_format", "write_table", "read_table"]

TABLE_FORMATS = ("csv", "tsv", "json")


def table_format(path: str | os.PathLike[str] | None, to: str | None = None) -> str:
    """The table format: *to* if given, else from the extension, else CSV."""
    if to:
        fmt = to.lower()
    elif path is None:
        fmt = "csv"
    else:
        fmt = Path(path).suffix.lstrip(".").lower() or "csv"
        fmt = {"txt": "tsv"}.get(fmt, fmt)
    if fmt not in TABLE_FORMATS:
        raise InputDataError(
            f"unknown table format {fmt!r} (use {', '.join(TABLE_FORMATS)})",
            path=None if path is None else os.fspath(path),
        )
    return fmt


def _render(df: pd.DataFrame, fmt: str, stream: TextIO, float_format: str | None) -> None:
    if fmt == "json":
        stream.write(df.to_json(orient="records", indent=1, double_precision=10))
        stream.write("\n")
    else:
        df.to_csv(stream, index=False, sep="," if fmt == "csv" else "\t",
                  float_format=float_format, lineterminator="\n")


def write_table(
    df: pd.DataFrame,
    path: str | os.PathLike[str] | None = None,
    *,
    to: str | None = None,
    float_format: str | None = "%.10g",
    stream: TextIO | None = None,
) -> None:
    """Write *df* to *path* (atomically) or, when *path* is None, to *stream* (stdout)."""
    fmt = table_format(path, to)
    if path is None:
        buf = io.StringIO()
        _render(df, fmt, buf, float_format)
        (stream or sys.stdout).write(buf.getvalue())
        return
    with atomic_open(path, "w") as fh:
        _render(df, fmt, fh, float_format)


def read_table(path: str | os.PathLike[str], **kwargs) -> pd.DataFrame:
    """Read a CSV/TSV table with a one-line error on failure."""
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    sep = "\t" if p.suffix.lower() in (".tsv", ".txt") else ","
    try:
        return pd.read_csv(p, sep=kwargs.pop("sep", sep), **kwargs)
    except UnicodeDecodeError:
        raise InputDataError("file is not UTF-8 text", path=p) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(f"cannot parse table: {str(exc).splitlines()[0]}", path=p) from None
