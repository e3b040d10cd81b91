"""Molecular sexing from a sex-linked marker typed with the microsatellites.

Rules (configurable, per study protocol):

* ``y-present`` - a Y-linked locus (e.g. a felid SRY or Y-microsatellite, Janecka et al. 2008):
  amplified -> ``M``; not amplified while the sample amplified at least ``min_loci`` other loci
  (so the DNA works) -> ``F``; otherwise ``unknown``. With ``y_allele`` given, only that size
  counts as the Y product.
* ``zfx-zfy`` - an X/Y gametolog pair such as ZFX/ZFY or amelogenin (AMELX/AMELY) typed as one
  locus: a genotype containing a ``y_allele`` size -> ``M``; only ``x_allele`` sizes -> ``F``;
  anything else or missing -> ``unknown``.

Females cannot be confirmed by absence alone, hence the ``min_loci`` control.
"""

from __future__ import annotations

import numpy as np

from .errors import InputDataError
from .model import MISSING, Genotypes

__all__ = ["RULES", "assign_sex", "sex_by_individual"]

RULES = ("y-present", "zfx-zfy")


def _sizes(v) -> set[int]:
    if v is None:
        return set()
    if isinstance(v, (int, np.integer)):
        return {int(v)}
    return {int(x) for x in v}


def assign_sex(
    g: Genotypes,
    locus: str,
    rule: str = "y-present",
    x_allele=None,
    y_allele=None,
    min_loci: int = 3,
) -> np.ndarray:
    """Sex of every sample: ``M``, ``F`` or ``unknown`` (rules in the module docstring).

    Parameters
    ----------
    g : Genotypes
    locus : str
        Name of the sex-linked locus in *g*.
    rule : {"y-present", "zfx-zfy"}
    x_allele, y_allele : int or sequence of int, optional
        Allele sizes of the X and Y products (``zfx-zfy`` needs both).
    min_loci : int
        Other loci a sample must be typed at for a missing Y product to mean female.

    Returns
    -------
    numpy.ndarray of str, shape (n_samples,)
    """
    if locus not in g.loci:
        raise InputDataError(f"sex locus {locus!r} is not in the genotype file (loci: {', '.join(g.loci[:8])}...)")
    if rule not in RULES:
        raise InputDataError(f"unknown sex rule {rule!r} (use {', '.join(RULES)})")
    j = g.loci.index(locus)
    a = g.alleles[:, j, :]
    typed = a[:, 0] != MISSING
    others = np.delete(g.alleles[:, :, 0] != MISSING, j, axis=1).sum(axis=1)
    out = np.full(g.n_samples, "unknown", dtype=object)
    ys, xs = _sizes(y_allele), _sizes(x_allele)
    if rule == "y-present":
        male = typed if not ys else typed & (np.isin(a[:, 0], list(ys)) | np.isin(a[:, 1], list(ys)))
        out[male] = "M"
        out[~typed & (others >= min_loci)] = "F"
    else:
        if not xs or not ys:
            raise InputDataError("the zfx-zfy rule needs --x-allele and --y-allele sizes")
        has_y = np.isin(a[:, 0], list(ys)) | np.isin(a[:, 1], list(ys))
        only_x = typed & np.isin(a[:, 0], list(xs)) & np.isin(a[:, 1], list(xs))
        out[typed & has_y] = "M"
        out[only_x] = "F"
    return out.astype(str)


def sex_by_individual(sex: np.ndarray, individual: np.ndarray) -> dict[int, str]:
    """Sex of each individual from its samples: the agreeing call, ``conflict`` or ``unknown``."""
    res: dict[int, str] = {}
    for ind in np.unique(individual):
        calls = set(sex[individual == ind]) - {"unknown"}
        res[int(ind)] = calls.pop() if len(calls) == 1 else ("conflict" if calls else "unknown")
    return res
