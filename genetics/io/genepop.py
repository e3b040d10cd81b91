"""GenePop files (Rousset 2008, Mol. Ecol. Resour. 8:103), read through Biopython.

Layout (Genepop manual, "The input file"): line 1 title; locus names one per line, or
comma-separated on line 2; a line ``Pop`` (any case) starts each population; individuals as
``name , g1 g2 ...`` where each genotype is 4 digits (2+2) or 6 digits (3+3) - the width may differ
between loci - and ``00``/``000`` is a missing allele. An individual may continue over several lines
(never inside a genotype); a blank identifier is allowed (bigcats names it ``ind<k>``, k = its rank in
the file). Haploid genotypes (Genepop 4 allows them) are an error: bigcats is diploid only.

Reading validates every line first (so a malformed file gives the line number: Biopython's own
errors are bare ``ValueError``/``IndexError`` without one, and it takes the digit width of a whole
line from its first genotype), then parses the genotypes, rewritten as 3+3 digits, with
:func:`Bio.PopGen.GenePop.read`. Sample names are stripped of the trailing spaces Biopython keeps.

Population names: GenePop has none. A ``Pop`` line may carry one (``Pop P01``, an extension some
tools write; it is used); otherwise the blocks are named ``pop1``, ``pop2``, ... in file order.
Writing uses 3-digit coding (``000`` missing), groups samples by population (stable order) and
writes plain ``Pop`` lines, so population *names* do not survive a GenePop round trip (the
grouping does).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np

from ..errors import InputDataError
from ..model import MISSING, Genotypes
from .atomic import atomic_open
from .formats import build_genotypes, check_unique_ids, read_lines

__all__ = ["read_genepop", "write_genepop"]

_POP_RE = re.compile(r"^\s*pop(?:\s+(.*?))?\s*$", re.I)
_MISSING_GENO = {"0", "00", "000", "0000", "000000", "-9", "-99"}


def _pop_line(s: str) -> tuple[bool, str]:
    if "," in s:
        return False, ""
    m = _POP_RE.match(s)
    return (True, (m.group(1) or "").strip()) if m else (False, "")


def _one_genotype(lines: list[tuple[int, str]], first_pop: int) -> bool:
    """True when the first individual after the first Pop line has exactly one genotype."""
    for _, s in lines[first_pop + 1:]:
        if "," in s:
            return len(s.split(",", 1)[1].split()) == 1
    return False


def _genotype_token(t: str, *, path, line: int, sample: str, locus: str) -> str:
    """Validate one GenePop genotype and return it as 6 digits (3+3) for Biopython."""
    if t in _MISSING_GENO:
        return "000000"
    if not t.isdigit():
        raise InputDataError(f"non-numeric genotype {t!r}", path=path, line=line, sample=sample, locus=locus)
    if len(t) in (2, 3):
        raise InputDataError(
            f"genotype {t!r} has one allele (haploid): bigcats reads diploid genotypes only",
            path=path, line=line, sample=sample, locus=locus)
    if len(t) not in (4, 6):
        raise InputDataError(
            f"genotype {t!r} is not 4 digits (2+2) or 6 digits (3+3)"
            + (": more than two alleles? bigcats reads diploid genotypes only" if len(t) > 6 else ""),
            path=path, line=line, sample=sample, locus=locus)
    h = len(t) // 2
    return f"{int(t[:h]):03d}{int(t[h:]):03d}"


def read_genepop(path: str | os.PathLike[str]) -> Genotypes:
    """Read a GenePop file.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    Genotypes
        Allele sizes as written (2- or 3-digit codes); populations ``pop1..`` unless named on
        the ``Pop`` lines.

    Raises
    ------
    InputDataError
        Naming the line: missing ``Pop`` line, no loci, a line without ``name , genotypes``,
        wrong number of genotypes, a genotype that is not 4 or 6 digits (haploid or more than
        two alleles), non-numeric alleles, empty population block, duplicate sample ids.
    """
    from Bio.PopGen import GenePop

    path = Path(path)
    lines = read_lines(path)
    first_pop = next((k for k, (_, s) in enumerate(lines) if k > 0 and _pop_line(s)[0]), None)
    if first_pop is None:
        raise InputDataError("no 'Pop' line: not a GenePop file (or --from is wrong)",
                             path=path, line=lines[-1][0])
    loci: list[str] = []
    for k, (ln, s) in enumerate(lines[1:first_pop], start=1):
        if "," in s:
            names = [x.strip() for x in s.split(",")]
        elif k == 1 and first_pop == 2 and not _one_genotype(lines, first_pop):
            names = s.split()  # all loci on line 2 separated by spaces (Biopython accepts this)
        else:
            names = [s.strip()]  # one name per line; names may contain spaces
        if any(n == "" for n in names):
            raise InputDataError("empty locus name", path=path, line=ln)
        loci.extend(names)
    if not loci:
        raise InputDataError("no locus names between the title line and the first 'Pop' line",
                             path=path, line=lines[first_pop][0])
    check_unique_ids(loci, [lines[1][0]] * len(loci), path, what="locus")
    L = len(loci)

    clean = ["bigcats", *[f"L{j}" for j in range(L)]]
    pop_names: list[str] = []
    samples: list[str] = []
    linenos: list[int] = []
    block_line = 0
    block_size = 0
    current: list | None = None  # [name, first line, tokens]

    def finish() -> None:
        nonlocal current, block_size
        if current is None:
            return
        name, ln0, toks, last = current
        if len(toks) != L:
            raise InputDataError(f"{len(toks)} genotypes, expected {L} (one per locus)",
                                 path=path, line=last, sample=name)
        clean.append(f"{name} , {' '.join(toks)}")
        samples.append(name)
        linenos.append(ln0)
        block_size += 1
        current = None

    def add_tokens(words: list[str], ln: int) -> None:
        name, _, toks, _ = current
        for t in words:
            j = len(toks)
            if j >= L:
                raise InputDataError(f"more genotypes than loci ({L})", path=path, line=ln, sample=name)
            toks.append(_genotype_token(t, path=path, line=ln, sample=name, locus=loci[j]))
        current[3] = ln

    for ln, s in lines[first_pop:]:
        is_pop, name = _pop_line(s)
        if is_pop:
            finish()
            if pop_names and block_size == 0:
                raise InputDataError("empty population (no individuals after this 'Pop' line)",
                                     path=path, line=block_line)
            pop_names.append(name or f"pop{len(pop_names) + 1}")
            block_line, block_size = ln, 0
            clean.append("Pop")
            continue
        if "," not in s and current is not None and len(current[2]) < L:
            add_tokens(s.split(), ln)  # an individual may continue over several lines
            continue
        if s.count(",") != 1:
            raise InputDataError(
                "expected 'name , genotypes' with exactly one comma (or a 'Pop' line)",
                path=path, line=ln)
        finish()
        name, rest = s.split(",")
        name = name.strip() or f"ind{len(samples) + 1}"  # GenePop allows a blank identifier
        current = [name, ln, [], ln]
        add_tokens(rest.split(), ln)
    finish()
    if block_size == 0:
        raise InputDataError("empty population (no individuals after this 'Pop' line)",
                             path=path, line=block_line)
    check_unique_ids(samples, linenos, path)

    try:
        record = GenePop.read(io.StringIO("\n".join(clean) + "\n"))
    except Exception as exc:  # Biopython raises bare ValueError/IndexError on odd input
        raise InputDataError(f"GenePop parser failed: {type(exc).__name__}: {exc}", path=path) from None

    alleles = np.zeros((len(samples), L, 2), dtype=np.int64)
    pops: list[str] = []
    i = 0
    for b, block in enumerate(record.populations):
        for _name, geno in block:
            if len(geno) != L or any(len(g) != 2 for g in geno):  # pre-validation makes this unreachable
                raise InputDataError("GenePop parser returned a non-diploid genotype",
                                     path=path, line=linenos[i], sample=samples[i])
            alleles[i] = [[0 if a is None else a for a in g] for g in geno]
            pops.append(pop_names[b])
            i += 1
    if i != len(samples):  # pragma: no cover - defensive
        raise InputDataError("GenePop parser lost individuals", path=path)
    return build_genotypes(alleles, samples, loci, pops, None, path=path)


def write_genepop(g: Genotypes, path: str | os.PathLike[str], *, title: str | None = None) -> None:
    """Write a GenePop file with 3-digit alleles (``000`` = missing), atomically.

    Samples are grouped by population (populations in order of first appearance, samples in
    their original order within each); one ``Pop`` line per population.

    Raises
    ------
    InputDataError
        An allele size above 999, a sample name containing a comma, or a locus name containing
        a comma (none can be written in GenePop).
    """
    a = g.alleles
    if (a > 999).any():
        i, j, _ = np.argwhere(a > 999)[0]
        raise InputDataError(
            f"allele size {int(a[i, j].max())} does not fit GenePop 3-digit coding (max 999)",
            path=path, sample=g.samples[i], locus=g.loci[j])
    for s in g.samples:
        if "," in s or not s.strip():
            raise InputDataError("sample name cannot be written to GenePop (comma or empty)",
                                 path=path, sample=s)
    for loc in g.loci:
        if "," in loc or not loc.strip():
            raise InputDataError("locus name cannot be written to GenePop (comma or empty)",
                                 path=path, locus=loc)
    codes = np.where(a == MISSING, 0, a)
    geno = codes[..., 0] * 1000 + codes[..., 1]
    pops = g.populations
    out = [title or f"bigcats genotypes: {g.n_samples} samples, {g.n_loci} loci; 3-digit alleles, 000 = missing"]
    if any(re.search(r"\s", loc) for loc in g.loci):
        out.append(", ".join(g.loci))
    else:
        out.extend(g.loci)
    for p in g.population_names:
        out.append("Pop")
        for i in np.flatnonzero(np.array(pops, dtype=object) == p):
            out.append(f"{g.samples[i]} , " + " ".join(f"{v:06d}" for v in geno[i].tolist()))
    with atomic_open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")
