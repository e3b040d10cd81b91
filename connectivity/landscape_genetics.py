"""Landscape genetics: which resistance surface explains the gene flow we measure?

Given a genetic distance matrix between sampled animals and, for each candidate resistance
surface, the matrix of landscape distances between their locations (least-cost or resistance
distance), rank the surfaces by how well they explain genetic distance:

* simple Mantel test (Mantel 1967, Cancer Res 27:209) of each surface,
* partial Mantel test controlling for Euclidean distance (Smouse, Long & Sokal 1986, Syst Zool
  35:627) — isolation by resistance beyond isolation by distance,
* multiple matrix regression with randomisation, MMRR (Wang 2013, Evolution 67:3403), of genetic
  distance on the surface's distance and Euclidean distance together.

Permutations jointly permute rows and columns of the genetic matrix. They are split into chunks
with seeds spawned from one :class:`numpy.random.SeedSequence`, so results are identical for a
seed whichever executor runs the chunks.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genetics.errors import InputDataError
from genetics.parallel import map_ordered

__all__ = [
    "upper",
    "mantel",
    "partial_mantel",
    "mmrr",
    "compare_surfaces",
    "least_cost_distances_between",
    "MantelResult",
]

_CHUNK = 200


def upper(m: np.ndarray) -> np.ndarray:
    """The strict upper triangle of a square matrix as a vector (pair order i<j, row-major)."""
    i, j = np.triu_indices(m.shape[0], 1)
    return m[i, j]


def _zscore(v: np.ndarray) -> np.ndarray:
    s = v.std()
    return (v - v.mean()) / (s if s > 0 else 1.0)


@dataclass(frozen=True)
class MantelResult:
    """Statistic, one-sided permutation p-value (H1: positive association) and permutations."""

    statistic: float
    p_value: float
    permutations: int


def _perm_chunks(n: int, permutations: int, seed: int) -> list[tuple[np.random.SeedSequence, int, int]]:
    n_chunks = max(1, -(-permutations // _CHUNK))
    seqs = np.random.SeedSequence(seed).spawn(n_chunks)
    sizes = [min(_CHUNK, permutations - k * _CHUNK) for k in range(n_chunks)]
    return [(s, n, size) for s, size in zip(seqs, sizes)]


def _permutation_indices(seq: np.random.SeedSequence, n: int, size: int) -> np.ndarray:
    rng = np.random.default_rng(seq)
    return np.argsort(rng.random((size, n)), axis=1)


def _residualise(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Residuals of the columns of *y* regressed on *x* (with intercept)."""
    X = np.column_stack([np.ones(len(x)), x])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return y - X @ beta


class _MantelJob:
    """Picklable permutation job: correlations of permuted Y with fixed vectors."""

    def __init__(self, Y: np.ndarray, xs: np.ndarray, control: np.ndarray | None):
        self.Y = Y
        self.xs = xs  # (n_pairs, q) already residualised on control and z-scored
        self.control = control

    def __call__(self, chunk: tuple[np.random.SeedSequence, int, int]) -> np.ndarray:
        seq, n, size = chunk
        perms = _permutation_indices(seq, n, size)
        iu, ju = np.triu_indices(n, 1)
        ys = np.stack([self.Y[p[iu], p[ju]] for p in perms], axis=1)  # (n_pairs, size)
        if self.control is not None:
            ys = _residualise(ys, self.control)
        ys = (ys - ys.mean(0)) / np.where(ys.std(0) > 0, ys.std(0), 1.0)
        return (self.xs.T @ ys) / len(ys)  # (q, size) correlations


def _check_square(name: str, m: np.ndarray, n: int) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    if m.shape != (n, n):
        raise InputDataError(f"{name} distance matrix has shape {m.shape}, expected ({n}, {n})")
    if not np.all(np.isfinite(upper(m))):
        raise InputDataError(
            f"{name} distance matrix has missing or infinite values "
            "(unreachable locations, or pairs with no co-typed locus)"
        )
    return m


def mantel(
    genetic: np.ndarray, landscape: np.ndarray, *, permutations: int = 999, seed: int = 1,
    executor: Executor | None = None,
) -> MantelResult:
    """Simple Mantel test of Pearson's r between two distance matrices (Mantel 1967)."""
    return partial_mantel(genetic, landscape, None, permutations=permutations, seed=seed, executor=executor)


def partial_mantel(
    genetic: np.ndarray,
    landscape: np.ndarray,
    control: np.ndarray | None,
    *,
    permutations: int = 999,
    seed: int = 1,
    executor: Executor | None = None,
) -> MantelResult:
    """Partial Mantel test (Smouse et al. 1986): r(genetic, landscape | control).

    Both matrices are residualised on the control's upper triangle; the genetic matrix is
    permuted (rows and columns together) and residualised again for every permutation
    (the "permute raw data" variant). ``control=None`` gives the simple Mantel test.
    """
    n = genetic.shape[0]
    G = _check_square("genetic", genetic, n)
    L = _check_square("landscape", landscape, n)
    x = upper(L)
    y = upper(G)
    c = None if control is None else upper(_check_square("control", control, n))
    if c is not None:
        x = _residualise(x[:, None], c)[:, 0]
        y = _residualise(y[:, None], c)[:, 0]
    xz = _zscore(x)[:, None]
    r_obs = float((xz[:, 0] @ _zscore(y)) / len(y))
    job = _MantelJob(G, xz, c)
    null = np.concatenate(map_ordered(job, _perm_chunks(n, permutations, seed), executor=executor,
                                      desc="permutations"), axis=1)[0]
    p = (1 + np.sum(null >= r_obs - 1e-12)) / (1 + permutations)
    return MantelResult(r_obs, float(p), permutations)


class _MMRRJob:
    def __init__(self, Y: np.ndarray, X: np.ndarray):
        self.Y = Y
        self.X = X
        self.pinv = np.linalg.pinv(X)

    def __call__(self, chunk: tuple[np.random.SeedSequence, int, int]) -> np.ndarray:
        seq, n, size = chunk
        perms = _permutation_indices(seq, n, size)
        iu, ju = np.triu_indices(n, 1)
        ys = np.stack([self.Y[p[iu], p[ju]] for p in perms], axis=1)
        ys = (ys - ys.mean(0)) / np.where(ys.std(0) > 0, ys.std(0), 1.0)
        beta = self.pinv @ ys  # (q+1, size)
        resid = ys - self.X @ beta
        r2 = 1.0 - (resid**2).sum(0) / ((ys - ys.mean(0)) ** 2).sum(0)
        return np.vstack([beta[1:], r2[None, :]])


def mmrr(
    genetic: np.ndarray,
    predictors: dict[str, np.ndarray],
    *,
    permutations: int = 999,
    seed: int = 1,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Multiple matrix regression with randomisation (Wang 2013, Evolution 67:3403).

    Regresses the z-scored upper triangle of *genetic* on the z-scored upper triangles of the
    predictor matrices; p-values of each coefficient (two-sided, on |beta|) and of R² come from
    permuting rows and columns of the genetic matrix.

    Returns
    -------
    pandas.DataFrame
        One row per predictor plus ``R2``: ``term, estimate, p_value``.
    """
    n = genetic.shape[0]
    G = _check_square("genetic", genetic, n)
    names = list(predictors)
    X = np.column_stack([np.ones(n * (n - 1) // 2)] + [_zscore(upper(_check_square(k, predictors[k], n))) for k in names])
    y = _zscore(upper(G))
    job = _MMRRJob(G, X)
    beta = job.pinv @ y
    resid = y - X @ beta
    r2 = 1.0 - (resid**2).sum() / ((y - y.mean()) ** 2).sum()
    null = np.concatenate(map_ordered(job, _perm_chunks(n, permutations, seed), executor=executor,
                                      desc="permutations"), axis=1)
    rows = []
    for k, name in enumerate(names):
        p = (1 + np.sum(np.abs(null[k]) >= abs(beta[k + 1]) - 1e-12)) / (1 + permutations)
        rows.append((name, float(beta[k + 1]), float(p)))
    p_r2 = (1 + np.sum(null[-1] >= r2 - 1e-12)) / (1 + permutations)
    rows.append(("R2", float(r2), float(p_r2)))
    return pd.DataFrame(rows, columns=["term", "estimate", "p_value"])


def compare_surfaces(
    genetic: np.ndarray,
    surfaces: dict[str, np.ndarray],
    euclidean: np.ndarray,
    *,
    permutations: int = 999,
    seed: int = 1,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Rank candidate resistance surfaces by how well they explain genetic distance.

    For each surface: Mantel r and p, partial Mantel r and p controlling for Euclidean distance,
    and the MMRR R² and coefficient of the surface fitted together with Euclidean distance.
    Rows are sorted by partial Mantel r (descending); ``rank`` 1 is the best-supported surface.
    A row ``euclidean`` (isolation by distance) is included for reference.
    """
    rows = []
    for name, dist in {"euclidean": euclidean, **surfaces}.items():
        m = mantel(genetic, dist, permutations=permutations, seed=seed, executor=executor)
        if name == "euclidean":
            pm = MantelResult(np.nan, np.nan, 0)
            reg = mmrr(genetic, {"euclidean": euclidean}, permutations=permutations, seed=seed, executor=executor)
        else:
            pm = partial_mantel(genetic, dist, euclidean, permutations=permutations, seed=seed, executor=executor)
            reg = mmrr(genetic, {name: dist, "euclidean": euclidean}, permutations=permutations,
                       seed=seed, executor=executor)
        est = dict(zip(reg["term"], reg["estimate"]))
        pv = dict(zip(reg["term"], reg["p_value"]))
        rows.append({
            "surface": name,
            "mantel_r": m.statistic,
            "mantel_p": m.p_value,
            "partial_mantel_r": pm.statistic,
            "partial_mantel_p": pm.p_value,
            "mmrr_r2": est["R2"],
            "mmrr_r2_p": pv["R2"],
            "mmrr_beta": est.get(name, np.nan),
            "mmrr_beta_p": pv.get(name, np.nan),
        })
    out = pd.DataFrame(rows)
    key = out["partial_mantel_r"].fillna(-np.inf)
    out = out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    out.loc[out["surface"] == "euclidean", "rank"] = 0
    return out


def least_cost_distances_between(
    resistance: np.ndarray,
    valid: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    cellsize: float,
    *,
    neighbors: int = 8,
    executor: Executor | None = None,
) -> np.ndarray:
    """Least-cost distance between every pair of point locations (cells), shape (n, n).

    Uses :func:`connectivity.leastcost.cost_distance` once per distinct cell; animals sampled
    in the same cell are at distance 0.
    """
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    cells = rows * resistance.shape[1] + cols
    uniq, inv = np.unique(cells, return_inverse=True)
    job = _CostJob(resistance, valid, cellsize, neighbors, uniq)
    cwd = map_ordered(job, list(range(len(uniq))), executor=executor, desc="cost distances")
    d_u = np.stack([c.ravel()[uniq] for c in cwd])  # (u, u)
    d_u = 0.5 * (d_u + d_u.T)
    return d_u[np.ix_(inv, inv)]


class _CostJob:
    def __init__(self, resistance, valid, cellsize, neighbors, cells):
        self.resistance, self.valid, self.cellsize = resistance, valid, cellsize
        self.neighbors, self.cells = neighbors, cells

    def __call__(self, k: int) -> np.ndarray:
        from .leastcost import cost_distance

        src = np.zeros(self.resistance.shape, dtype=bool)
        src.ravel()[self.cells[k]] = True
        return cost_distance(self.resistance, self.valid, src, self.cellsize, neighbors=self.neighbors)
