"""Consensus genotypes from PCR replicates (multiple-tubes approach) and genotyping-error rates.

Acceptance rules (Taberlet et al. 1996, Nucleic Acids Res. 24:3189; configurable)
-----------------------------------------------------------------------------------
For one sample at one locus, over the replicates that were run:

* an allele is **accepted** when it appears in at least ``min_het_reps`` (k) replicates;
* two accepted alleles make a **heterozygote**;
* one accepted allele makes a **homozygote** only when at least ``min_hom_reps`` (m) replicates
  show that same homozygous call; otherwise the genotype is missing (``unresolved``);
* more than two accepted alleles (contamination, a mix of samples) -> missing (``conflict``);
* no accepted allele -> missing (``failed`` when no replicate amplified, else ``unresolved``).

The original strict rule is k = 2, m = 7; k = 2, m = 3 is common in scat studies.

Error rates against the consensus (Broquet & Petit 2004, Mol. Ecol. 13:3601)
---------------------------------------------------------------------------
Counted over *positive* amplifications (replicates that gave alleles):

* allelic dropout ``ado = D_ADO / N_het``: replicates of a consensus heterozygote showing only
  one of its two alleles, over the positive replicates of consensus heterozygotes;
* false allele ``fa = D_FA / N_pos``: replicates showing an allele absent from the consensus,
  over all positive replicates of typed consensus genotypes;
* ``failure``: replicates that gave no alleles over replicates run (amplification failure).

Quality index (Miquel et al. 2006, Conserv. Genet. 7:65)
--------------------------------------------------------
Per sample and locus: replicates identical to the consensus genotype over replicates run
(0 where the consensus is missing); per sample: the mean over loci. Samples below a cut
(e.g. 0.625, Chetri et al. 2019) are often discarded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputDataError
from .model import MISSING, Genotypes, ReplicateGenotypes

__all__ = ["ConsensusResult", "consensus_genotypes", "error_rates", "error_tables", "CALLS"]

#: Codes of the ``call`` array.
CALLS = ("het", "hom", "failed", "unresolved", "conflict")


@dataclass
class ConsensusResult:
    """Consensus genotypes and how each was reached.

    Attributes
    ----------
    alleles : numpy.ndarray of int32, shape (n_samples, n_loci, 2)
    call : numpy.ndarray of int8, shape (n_samples, n_loci)
        Index into :data:`CALLS`.
    n_runs : numpy.ndarray of int64, shape (n_samples, n_loci)
    n_positive : numpy.ndarray of int64, shape (n_samples, n_loci)
        Replicates that gave alleles.
    n_agree : numpy.ndarray of int64, shape (n_samples, n_loci)
        Replicates identical to the consensus genotype.
    """

    alleles: np.ndarray
    call: np.ndarray
    n_runs: np.ndarray
    n_positive: np.ndarray
    n_agree: np.ndarray

    @property
    def quality_index(self) -> np.ndarray:
        """Miquel et al. (2006) QI per sample, shape (n_samples,)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            qi_l = np.where(self.n_runs > 0, self.n_agree / np.maximum(self.n_runs, 1), 0.0)
        return qi_l.mean(axis=1) if qi_l.shape[1] else np.zeros(qi_l.shape[0])


def consensus_genotypes(
    replicates: np.ndarray,
    n_runs: np.ndarray | None = None,
    min_het_reps: int = 2,
    min_hom_reps: int = 3,
) -> ConsensusResult:
    """Multiple-tubes consensus of PCR replicates (rules in the module docstring).

    Parameters
    ----------
    replicates : numpy.ndarray of int, shape (n_samples, n_replicates, n_loci, 2)
        Allele sizes per replicate, smaller first, MISSING where nothing amplified or where
        the replicate was not run.
    n_runs : numpy.ndarray of int, shape (n_samples, n_loci), optional
        Replicates actually run (default: all ``n_replicates``); replicates ``>= n_runs``
        are padding and ignored.
    min_het_reps : int
        k, replicates in which an allele must appear to be accepted.
    min_hom_reps : int
        m, identical homozygous replicates needed to accept a homozygote.

    Returns
    -------
    ConsensusResult
    """
    if min_het_reps < 1 or min_hom_reps < 1:
        raise ValueError("min_het_reps and min_hom_reps must be >= 1")
    x = np.asarray(replicates, dtype=np.int64)
    n, R, L, _ = x.shape
    if n_runs is None:
        n_runs = np.full((n, L), R, dtype=np.int64)
    n_runs = np.asarray(n_runs, dtype=np.int64)
    run = np.arange(R)[None, :, None] < n_runs[:, None, :]  # (n, R, L)
    x = np.where(run[..., None], x, MISSING)
    xs = np.moveaxis(x, 1, 2)  # (n, L, R, 2)
    pos = xs[..., 0] != MISSING  # (n, L, R)
    n_pos = pos.sum(axis=2)
    # candidate alleles: every allele of every replicate, (n, L, 2R)
    cand = xs.reshape(n, L, 2 * R)
    # replicates containing each candidate: (n, L, 2R, R)
    contains = (xs[..., None, :, 0] == cand[..., :, None]) | (xs[..., None, :, 1] == cand[..., :, None])
    count = contains.sum(axis=3)
    order = np.argsort(cand, axis=2, kind="stable")
    cs = np.take_along_axis(cand, order, axis=2)
    cc = np.take_along_axis(count, order, axis=2)
    first = np.ones_like(cs, dtype=bool)
    first[..., 1:] = cs[..., 1:] != cs[..., :-1]
    acc = first & (cs != MISSING) & (cc >= min_het_reps)
    n_acc = acc.sum(axis=2)
    # the accepted values in ascending order
    big = np.iinfo(np.int64).max
    acc_vals = np.sort(np.where(acc, cs, big), axis=2)
    a1 = acc_vals[..., 0]
    a2 = acc_vals[..., 1] if 2 * R > 1 else np.full((n, L), big)
    out = np.full((n, L, 2), MISSING, dtype=np.int64)
    call = np.full((n, L), CALLS.index("unresolved"), dtype=np.int8)
    het = n_acc == 2
    out[het, 0] = a1[het]
    out[het, 1] = a2[het]
    call[het] = CALLS.index("het")
    one = n_acc == 1
    hom_reps = ((xs[..., 0] == a1[..., None]) & (xs[..., 1] == a1[..., None])).sum(axis=2)
    hom = one & (hom_reps >= min_hom_reps)
    out[hom, 0] = a1[hom]
    out[hom, 1] = a1[hom]
    call[hom] = CALLS.index("hom")
    call[n_acc > 2] = CALLS.index("conflict")
    call[(n_acc == 0) & (n_pos == 0)] = CALLS.index("failed")
    agree = (xs[..., 0] == out[:, :, None, 0]) & (xs[..., 1] == out[:, :, None, 1]) & pos
    n_agree = np.where(out[..., 0] != MISSING, agree.sum(axis=2), 0)
    return ConsensusResult(out.astype(np.int32), call, n_runs, n_pos.astype(np.int64), n_agree.astype(np.int64))


def error_rates(replicates: np.ndarray, consensus: np.ndarray, n_runs: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Allelic-dropout and false-allele counts of every sample and locus (Broquet & Petit 2004).

    Parameters
    ----------
    replicates : numpy.ndarray of int, shape (n_samples, n_replicates, n_loci, 2)
    consensus : numpy.ndarray of int, shape (n_samples, n_loci, 2)
    n_runs : numpy.ndarray of int, shape (n_samples, n_loci), optional

    Returns
    -------
    dict of numpy.ndarray of int64, each shape (n_samples, n_loci)
        ``runs``, ``positive`` (replicates with alleles), ``het_positive`` (positive
        replicates of consensus heterozygotes), ``dropouts``, ``typed_positive`` (positive
        replicates of typed consensus genotypes), ``false_alleles`` (replicates carrying an
        allele not in the consensus).
    """
    x = np.asarray(replicates, dtype=np.int64)
    n, R, L, _ = x.shape
    if n_runs is None:
        n_runs = np.full((n, L), R, dtype=np.int64)
    run = np.arange(R)[None, :, None] < np.asarray(n_runs)[:, None, :]
    x = np.where(run[..., None], x, MISSING)
    c = np.asarray(consensus, dtype=np.int64)[:, None, :, :]  # (n,1,L,2)
    pos = (x[..., 0] != MISSING) & run
    typed = c[..., 0] != MISSING
    het = typed & (c[..., 0] != c[..., 1])
    in_c0 = (x[..., 0] == c[..., 0]) | (x[..., 0] == c[..., 1])
    in_c1 = (x[..., 1] == c[..., 0]) | (x[..., 1] == c[..., 1])
    fa = pos & typed & ~(in_c0 & in_c1)
    # dropout: a consensus heterozygote seen as a homozygote of one of its alleles
    ado = pos & het & (x[..., 0] == x[..., 1]) & in_c0
    return {
        "runs": np.asarray(n_runs, dtype=np.int64),
        "positive": pos.sum(axis=1).astype(np.int64),
        "het_positive": (pos & het).sum(axis=1).astype(np.int64),
        "dropouts": ado.sum(axis=1).astype(np.int64),
        "typed_positive": (pos & typed).sum(axis=1).astype(np.int64),
        "false_alleles": fa.sum(axis=1).astype(np.int64),
    }


def _rate(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def error_tables(
    rep: ReplicateGenotypes, res: ConsensusResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-locus and per-sample error rates and quality index as tables.

    Returns
    -------
    per_locus : pandas.DataFrame
        ``locus, runs, positive, failure_rate, het_positive, dropouts, ado_rate,
        typed_positive, false_alleles, fa_rate, typed``.
    per_sample : pandas.DataFrame
        ``sample_id`` plus the same counts and rates, ``loci_typed`` and
        ``quality_index`` (Miquel et al. 2006).
    """
    e = error_rates(rep.alleles, res.alleles, rep.n_runs)
    typed = res.alleles[..., 0] != MISSING

    def table(axis, key, names):
        s = {k: v.sum(axis=axis) for k, v in e.items()}
        df = pd.DataFrame({key: list(names)})
        df["runs"] = s["runs"]
        df["positive"] = s["positive"]
        df["failure_rate"] = 1 - _rate(s["positive"], s["runs"])
        df["het_positive"] = s["het_positive"]
        df["dropouts"] = s["dropouts"]
        df["ado_rate"] = _rate(s["dropouts"], s["het_positive"])
        df["typed_positive"] = s["typed_positive"]
        df["false_alleles"] = s["false_alleles"]
        df["fa_rate"] = _rate(s["false_alleles"], s["typed_positive"])
        return df

    per_locus = table(0, "locus", rep.loci)
    per_locus["typed"] = typed.sum(axis=0)
    per_sample = table(1, "sample_id", rep.samples)
    per_sample["loci_typed"] = typed.sum(axis=1)
    per_sample["quality_index"] = res.quality_index
    return per_locus, per_sample


def consensus_to_genotypes(rep: ReplicateGenotypes, res: ConsensusResult) -> Genotypes:
    """The consensus as a :class:`Genotypes` (metadata carried over; ``population`` column
    becomes the populations)."""
    md = rep.metadata.copy() if rep.metadata is not None else pd.DataFrame()
    pops = None
    if "population" in md.columns:
        pops = [str(p) if isinstance(p, str) else "" for p in md["population"].tolist()]
        md = md.drop(columns=["population"])
    if len(md.columns) == 0:
        md = pd.DataFrame()
    return Genotypes(res.alleles, rep.samples, rep.loci, tuple(pops) if pops else (), md)


def check_rules(min_het_reps: int, min_hom_reps: int) -> None:
    """Reject impossible acceptance rules with a one-line error."""
    if min_het_reps < 1:
        raise InputDataError("--min-het-reps must be at least 1")
    if min_hom_reps < 1:
        raise InputDataError("--min-hom-reps must be at least 1")
