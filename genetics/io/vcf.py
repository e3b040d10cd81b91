"""VCF (diploid SNPs and other biallelic/multiallelic variants) through ``allel.read_vcf``.

Allele coding: the model's allele *sizes* must be positive (0 and below are missing), so a VCF
allele **index** *k* (0 = REF, 1 = first ALT, ...) is stored as size ``k + 1``: ``0/1`` -> (1, 2),
``./.`` -> missing. Locus name = the ID column, or ``CHROM:POS`` when ID is ``.``.
Every GT must be diploid (``a/b`` or ``a|b``); haploid or polyploid calls are an error naming the
line, sample and locus. Phase is dropped. Plain ``.vcf`` and ``.vcf.gz`` are read.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from ..errors import InputDataError
from ..model import Genotypes
from .formats import build_genotypes, check_unique_ids, read_text

__all__ = ["read_vcf"]


def _text(path: Path) -> str:
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as exc:
            raise InputDataError(f"cannot decompress: {exc}", path=path) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputDataError("undecodable bytes (not UTF-8 text)", path=path) from None
    return read_text(path)


def read_vcf(path: str | os.PathLike[str]) -> Genotypes:
    """Read diploid genotypes from a VCF.

    Returns
    -------
    Genotypes
        ``alleles[i, j] = GT allele index + 1``; no populations.

    Raises
    ------
    InputDataError
        No ``#CHROM`` header, too few columns, no GT field, non-diploid GT, no variants, duplicate
        variant names - naming the line.
    """
    path = Path(path)
    text = _text(path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head_k = next((k for k, s in enumerate(lines) if s.startswith("#CHROM")), None)
    if head_k is None:
        first_data = next((k for k, s in enumerate(lines) if s.strip() and not s.startswith("#")),
                          len(lines) - 1)
        raise InputDataError("no '#CHROM' header line before the data: not a VCF file",
                             path=path, line=first_data + 1)
    head = lines[head_k].split("\t")
    if len(head) < 10:
        raise InputDataError("the '#CHROM' line names no samples (need FORMAT and sample columns)",
                             path=path, line=head_k + 1)
    samples = head[9:]
    n = len(samples)
    names: list[str] = []
    linenos: list[int] = []
    for k in range(head_k + 1, len(lines)):
        s = lines[k]
        if not s.strip():
            continue
        f = s.split("\t")
        if len(f) != 9 + n:
            raise InputDataError(f"{len(f)} tab-separated fields, expected {9 + n}", path=path, line=k + 1)
        fmt = f[8].split(":")
        if "GT" not in fmt:
            raise InputDataError("no GT in the FORMAT column", path=path, line=k + 1)
        name = f[2] if f[2] not in (".", "") else f"{f[0]}:{f[1]}"
        gi = fmt.index("GT")
        cells = np.array(f[9:], dtype=str)
        if gi == 0:  # the VCF spec puts GT first
            gts = np.char.partition(cells, ":")[:, 0]
        else:
            gts = np.array([(c.split(":") + ["."] * (gi + 1))[gi] for c in cells], dtype=str)
        ploidy = np.char.count(gts, "/") + np.char.count(gts, "|") + 1
        bad = np.flatnonzero((ploidy != 2) & (gts != "."))
        if len(bad):
            si = int(bad[0])
            raise InputDataError(
                f"genotype {str(gts[si])!r} has ploidy {int(ploidy[si])}: bigcats reads diploid "
                "genotypes only", path=path, line=k + 1, sample=samples[si], locus=name)
        names.append(name)
        linenos.append(k + 1)
    if not names:
        raise InputDataError("no variant lines after the '#CHROM' header", path=path, line=head_k + 1)
    check_unique_ids(names, linenos, path, what="locus")
    import allel  # slow to import: only once the file has passed the checks above

    try:
        cs = allel.read_vcf(str(path), fields=["samples", "calldata/GT"], numbers={"calldata/GT": 2})
    except Exception as exc:  # scikit-allel raises assorted errors on odd input
        raise InputDataError(f"scikit-allel could not read the VCF: {type(exc).__name__}: {exc}",
                             path=path) from None
    if cs is None or "calldata/GT" not in cs:
        raise InputDataError("scikit-allel found no genotypes", path=path)
    gt = np.asarray(cs["calldata/GT"], dtype=np.int64)  # (n_variants, n_samples, 2)
    if gt.shape[:2] != (len(names), n):
        raise InputDataError("scikit-allel read a different number of variants or samples than "
                             "the file has lines", path=path)
    alleles = np.where(gt < 0, 0, gt + 1).transpose(1, 0, 2)
    return build_genotypes(alleles, [str(s) for s in cs["samples"]], names, None, None, path=path)
