"""Genotype file formats: sniffing, one entry point to read and one to write.

:func:`read_genotypes` and :func:`write_genotypes` are what every verb calls; the per-format
readers live in :mod:`genetics.io.genepop`, :mod:`~genetics.io.genalex`, :mod:`~genetics.io.long`,
:mod:`~genetics.io.wide`, :mod:`~genetics.io.structure` and :mod:`~genetics.io.vcf`.

This module also holds the small text utilities the readers share (decoding with a line
number for undecodable bytes, any line ending, whole-token missing codes, vectorised allele
parsing that names the line, sample and locus of the first bad cell).

Missing-data rule (every format)
--------------------------------
A whole allele token equal to ``0``, ``00``, ``000``, ``-9``, ``-99``, ``NA`` or blank is a
missing allele (a ``0`` inside ``120`` is not). A genotype with one allele missing is treated as
wholly missing (see :mod:`genetics.model`).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..model import Genotypes

__all__ = [
    "READ_FORMATS",
    "WRITE_FORMATS",
    "MISSING_TOKENS",
    "sniff_format",
    "read_genotypes",
    "write_genotypes",
    "read_lines",
    "split_rows",
    "parse_alleles",
]

READ_FORMATS = ("genepop", "genalex", "long", "wide", "structure", "vcf")
WRITE_FORMATS = ("genepop", "genalex", "long", "wide", "structure")

#: Whole tokens that mean "missing allele" in every format.
MISSING_TOKENS = frozenset({"", "0", "00", "000", "-9", "-99", "NA", "na", "NaN", "nan", "-"})
_MISSING_ARRAY = np.array(sorted(MISSING_TOKENS))

_FORMAT_ALIASES = {
    "gen": "genepop", "genepop": "genepop", "gp": "genepop",
    "genalex": "genalex", "gax": "genalex",
    "long": "long", "csv": "long",
    "wide": "wide", "cervus": "wide", "related": "wide", "allelematch": "wide",
    "structure": "structure", "str": "structure", "stru": "structure",
    "vcf": "vcf",
}


# ---------------------------------------------------------------------------- text utilities
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def read_text(path: str | os.PathLike[str]) -> str:
    """Whole file as text (UTF-8, BOM dropped); undecodable bytes -> error naming the line."""
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    if p.is_dir():
        raise InputDataError("is a folder, not a genotype file", path=p)
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = len(_LINE_SPLIT.findall(head.decode("utf-8", errors="replace"))) + 1
        raise InputDataError(
            f"undecodable byte 0x{data[exc.start]:02x} (the file is not UTF-8 text; "
            "re-save it as UTF-8 or CSV UTF-8)", path=p, line=line) from None
    if "\x00" in text:
        line = len(_LINE_SPLIT.findall(text[: text.index("\x00")])) + 1
        raise InputDataError("NUL byte: this is a binary file, not a text genotype file", path=p, line=line)
    return text


def read_lines(path: str | os.PathLike[str], *, keep_blank: bool = False) -> list[tuple[int, str]]:
    """Lines of a text file as ``(line_number, text)`` (1-based; CR, LF or CRLF endings).

    Blank (whitespace-only) lines are dropped unless *keep_blank*. An empty file is an error.
    """
    text = read_text(path)
    lines = _LINE_SPLIT.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    out = [(i + 1, s) for i, s in enumerate(lines) if keep_blank or s.strip()]
    if not any(s.strip() for _, s in out):
        raise InputDataError("empty file (no data lines)", path=path)
    return out


def detect_sep(line: str) -> str | None:
    """Separator of a table line: ``,`` or ``;`` or ``\\t``-or-spaces (``None`` = whitespace)."""
    if "," in line:
        return ","
    if ";" in line:
        return ";"
    return None


def split_rows(lines: list[tuple[int, str]], sep: str | None) -> list[list[str]]:
    """Tokenise lines: CSV rules for ``,``/``;`` (quotes allowed), runs of whitespace otherwise."""
    if sep is None:
        return [s.split() for _, s in lines]
    if sep == "\t":
        return [[c.strip() for c in s.split("\t")] for _, s in lines]
    texts = [s for _, s in lines]
    rows = list(csv.reader(texts, delimiter=sep))
    if any(" " in s or "\t" in s for s in texts):
        rows = [[c.strip() for c in row] for row in rows]
    return rows


def fast_table(lines: list[tuple[int, str]], sep: str | None) -> np.ndarray | None:
    """Tokenise a rectangular, quote-free ``,``/``;``/tab table with pandas' C parser.

    Returns a 2-D ``str`` array (cells stripped), or ``None`` when the fast path does not apply
    (whitespace separator, quotes, or rows of different widths): the caller then falls back to
    :func:`split_rows` and its own line-numbered checks.
    """
    if sep is None or len(lines) < 2:
        return None
    texts = np.array([s for _, s in lines])
    if np.char.count(texts, '"').any():
        return None
    counts = np.char.count(texts, sep) + 1
    if (counts != counts[0]).any():
        return None
    try:
        df = pd.read_csv(io.StringIO("\n".join(texts.tolist())), sep=sep, dtype=str, header=None,
                         keep_default_na=False, engine="c", quoting=csv.QUOTE_NONE)
    except (pd.errors.ParserError, ValueError):  # pragma: no cover - fall back to split_rows
        return None
    arr = df.to_numpy(dtype=str)
    if arr.shape != (len(lines), int(counts[0])):
        return None
    return np.char.strip(arr)


_INT_PAT = r"[+-]?\d+(?:\.0*)?"
_INT_RE = re.compile(_INT_PAT)


def is_allele_token(tok: str) -> bool:
    """True for an integer allele or a missing code (whole-token)."""
    return tok in MISSING_TOKENS or bool(_INT_RE.fullmatch(tok))


def parse_alleles(
    tokens: np.ndarray,
    *,
    path: str | os.PathLike[str] | None,
    linenos: Sequence[int] | np.ndarray,
    samples: Sequence[str] | None = None,
    loci: Sequence[str] | None = None,
    locus_of_col: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """Parse a 2-D array of allele tokens into int64 (0 = missing), vectorised.

    Parameters
    ----------
    tokens : numpy.ndarray of str, shape (n_rows, n_cols)
    linenos : sequence of int, length n_rows
        File line of every row (for the error message).
    samples : sequence of str, length n_rows, optional
    loci : sequence of str, optional
        Locus names; ``locus_of_col[c]`` gives the locus index of column *c*
        (default ``c // 2``: two columns per locus).

    Returns
    -------
    numpy.ndarray of int64, shape (n_rows, n_cols)
        Allele sizes, 0 where missing (any zero such as ``0000`` is missing too).

    Raises
    ------
    InputDataError
        At the first cell (in file order) that is not a non-negative integer or a missing code.
    """
    s = np.asarray(tokens)
    if s.size == 0:
        return np.zeros(s.shape, dtype=np.int64)
    if s.dtype.kind != "U":
        s = s.astype(str)
    missing_tok = np.isin(s, _MISSING_ARRAY)
    try:  # fast path: every token a plain integer or a missing code
        values = np.where(missing_tok, "0", s).astype(np.int64)
        if not (values < 0).any():
            return values  # 0, 00, 0000 ... (any zero) = missing
    except (ValueError, OverflowError):
        pass
    flat = pd.Series(s.ravel(), dtype=object)
    missing = missing_tok.ravel()
    ok = flat.str.fullmatch(_INT_PAT).to_numpy(dtype=bool) | missing
    num = ok & ~missing
    values = np.zeros(flat.shape[0], dtype=np.int64)
    if num.any():
        values[num] = pd.to_numeric(flat[num]).to_numpy(dtype=float).astype(np.int64)
    values = values.reshape(s.shape)
    ok = ok.reshape(s.shape)
    num = num.reshape(s.shape)
    bad = ~ok | (num & (values < 0))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        t = str(s[r, c])
        if ok[r, c]:
            msg = f"negative allele {t!r} (missing codes are 0, -9, -99 or blank)"
        elif "/" in t or "|" in t:
            msg = f"genotype {t!r} found where a single allele was expected"
        else:
            msg = f"non-numeric allele {t!r}"
        lc = (locus_of_col[c] if locus_of_col is not None else c // 2)
        raise InputDataError(
            msg,
            path=path,
            line=int(linenos[r]),
            sample=None if samples is None else str(samples[r]),
            locus=None if loci is None or lc >= len(loci) else str(loci[lc]),
        )
    return values


def check_unique_ids(ids: Sequence[str], linenos: Sequence[int], path, what: str = "sample") -> None:
    """Duplicate ids -> error at the line of the second occurrence."""
    seen: dict[str, int] = {}
    for i, (s, ln) in enumerate(zip(ids, linenos)):
        if s in seen:
            raise InputDataError(
                f"duplicate {what} id (first seen on line {seen[s]})", path=path, line=int(ln),
                **({"sample": s} if what == "sample" else {"locus": s}))
        seen[s] = int(ln)


def build_genotypes(alleles, samples, loci, populations=None, metadata=None, *, path=None) -> Genotypes:
    """:meth:`Genotypes.from_arrays` with errors located in *path*."""
    try:
        return Genotypes.from_arrays(alleles, samples, loci, populations, metadata)
    except InputDataError as exc:
        raise exc.located(path=path) from None


# ---------------------------------------------------------------------------- sniffing
def normalise_format(fmt: str | None) -> str | None:
    """Canonical format name (``None`` stays ``None``)."""
    if fmt is None:
        return None
    key = fmt.lower().lstrip(".")
    if key not in _FORMAT_ALIASES:
        raise InputDataError(f"unknown genotype format {fmt!r} (use {', '.join(READ_FORMATS)})")
    return _FORMAT_ALIASES[key]


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of a genotype file from its content (the extension is a hint).

    Rules, in order: ``##fileformat=VCF`` -> vcf; first row ``int,int,int,...`` followed by a
    ``Sample,Pop,Loc1,,...`` row -> genalex; a line that is exactly ``Pop`` (any case) after a
    title line, or a ``.gen`` extension -> genepop; a header with ``sample_id``/``locus``/``allele_1``
    columns -> long;
    ``.str``/``.stru`` extension or the STRUCTURE two-row layout / short locus header -> structure;
    anything else tabular -> wide. Only the first 64 KiB are looked at; the reader then validates
    the whole file.
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    if p.is_dir():
        raise InputDataError("is a folder, not a genotype file", path=p)
    name = p.name.lower()
    if name.endswith((".vcf", ".vcf.gz", ".bcf")):
        return "vcf"
    if name.endswith(".gz"):
        raise InputDataError("compressed file: only .vcf.gz is read compressed", path=p)
    lines = _head_lines(p)
    first = lines[0][1].strip()
    if first.startswith("##fileformat=VCF"):
        return "vcf"
    if any(s.strip().upper() == "POP" for _, s in lines[1:]) and not _looks_tabular_header(first):
        return "genepop"
    sep = detect_sep(first)
    rows = split_rows(lines[:3], sep)
    if len(rows) >= 3 and sep is not None:
        r0 = [c for c in rows[0] if c != ""]
        if len(r0) >= 3 and all(re.fullmatch(r"\d+", c) for c in r0):
            return "genalex"
    header = [c.strip().lower() for c in rows[0]]
    from .long import _ALIASES

    if any(h in _ALIASES["locus"] for h in header) and any(h in _ALIASES["allele_1"] for h in header):
        return "long"
    if name.endswith((".gen", ".genepop")):
        return "genepop"
    if name.endswith((".str", ".stru", ".structure")):
        return "structure"
    if sep is None and len(lines) >= 3:
        from .structure import looks_like_structure

        if looks_like_structure(lines):
            return "structure"
    return "wide"


def _head_lines(path: Path, n_bytes: int = 1 << 16) -> list[tuple[int, str]]:
    """The first lines of a file for sniffing (the reader validates the whole file later)."""
    with open(path, "rb") as fh:
        head = fh.read(n_bytes)
        more = bool(fh.read(1))
    text = head.decode("utf-8-sig", errors="replace")
    parts = _LINE_SPLIT.split(text)
    if more and len(parts) > 1:
        parts = parts[:-1]  # the last line may be cut
    out = [(i + 1, s) for i, s in enumerate(parts) if s.strip()]
    if not out:
        raise InputDataError("empty file (no data lines)", path=path)
    return out


def _looks_tabular_header(line: str) -> bool:
    low = line.lower()
    return ("," in line and ("locus" in low or "sample" in low)) or low.startswith("##fileformat")


# ---------------------------------------------------------------------------- dispatch
def read_genotypes(path: str | os.PathLike[str], fmt: str | None = None, **kwargs) -> Genotypes:
    """Read any supported genotype file into :class:`~genetics.model.Genotypes`.

    Parameters
    ----------
    path : path-like
    fmt : {'genepop', 'genalex', 'long', 'wide', 'structure', 'vcf'}, optional
        Force the format; sniffed from the content when omitted (:func:`sniff_format`).
    **kwargs
        Passed to the format's reader (e.g. ``id_col``, ``pop_col``, ``meta_cols`` for wide).

    Raises
    ------
    InputDataError
        Any problem with the file, naming the file and line.
    """
    fmt = normalise_format(fmt) or sniff_format(path)
    if fmt == "genepop":
        from .genepop import read_genepop as reader
    elif fmt == "genalex":
        from .genalex import read_genalex as reader
    elif fmt == "long":
        from .long import read_long as reader
    elif fmt == "wide":
        from .wide import read_wide as reader
    elif fmt == "structure":
        from .structure import read_structure as reader
    elif fmt == "vcf":
        from .vcf import read_vcf as reader
    else:  # pragma: no cover - normalise_format guards this
        raise InputDataError(f"unknown format {fmt!r}")
    if kwargs:
        import inspect

        accepted = inspect.signature(reader).parameters
        unknown = [k for k in kwargs if k not in accepted]
        if unknown:
            raise InputDataError(f"option {unknown[0]!r} does not apply to {fmt} files", path=path)
    return reader(path, **kwargs)


def output_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """Format to write: *fmt* if given, else from the extension (``.gen``, ``.str``, ``.csv`` -> long)."""
    if fmt:
        f = normalise_format(fmt)
        if f not in WRITE_FORMATS:
            raise InputDataError(f"cannot write {f!r} files (use {', '.join(WRITE_FORMATS)})")
        return f
    suffix = Path(path).suffix.lower()
    by_ext = {".gen": "genepop", ".genepop": "genepop", ".str": "structure", ".stru": "structure",
              ".csv": "long", ".txt": "wide", ".tsv": "wide"}
    if suffix not in by_ext:
        raise InputDataError(
            f"cannot tell the output format from the extension {suffix or '(none)'!r}: "
            "use --to genepop|genalex|long|structure|wide", path=path)
    return by_ext[suffix]


def write_genotypes(g: Genotypes, path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """Write *g* atomically to *path* in *fmt* (default from the extension). Returns the format."""
    fmt = output_format(path, fmt)
    if fmt == "genepop":
        from .genepop import write_genepop as writer
    elif fmt == "genalex":
        from .genalex import write_genalex as writer
    elif fmt == "long":
        from .long import write_long as writer
    elif fmt == "wide":
        from .wide import write_wide as writer
    else:
        from .structure import write_structure as writer
    writer(g, path)
    return fmt
