"""Linear solvers for grounded graph Laplacians, one setup reused for many right-hand sides.

Two methods, as in Circuitscape.jl (Anantharaman et al. 2020, JuliaCon Proc. 1:58):

* ``'cg+amg'`` — conjugate gradients preconditioned by smoothed-aggregation algebraic
  multigrid (Vaněk, Mandel & Brezina 1996; pyamg), relative tolerance 1e-6 by default;
* ``'direct'`` (alias ``'cholmod'``) — a sparse LU factorisation (SciPy SuperLU) of the
  grounded, symmetric positive definite Laplacian, computed once and reused.

A system is "grounded": the row and column of one node (held at 0 V) are removed, or finite
ground conductances are on the diagonal, so the matrix is symmetric positive definite.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from genetics.errors import BigcatsError
from genetics.parallel import map_ordered, progress

__all__ = ["SOLVERS", "normalise_solver", "Factor", "solve_columns"]

SOLVERS = ("cg+amg", "direct", "cholmod")


def normalise_solver(name: str) -> str:
    """Map solver names (Circuitscape's included) to ``'cg+amg'`` or ``'direct'``."""
    key = (name or "cg+amg").strip().lower()
    if key in ("cg+amg", "amg", "cg", "pcg"):
        return "cg+amg"
    if key in ("direct", "cholmod", "splu", "lu", "mkl_pardiso", "pardiso", "accelerate"):
        return "direct"
    raise BigcatsError(f"unknown solver {name!r}: use cg+amg or direct (cholmod)")


class Factor:
    """A reusable solver of ``A x = b`` for one symmetric positive definite matrix.

    Parameters
    ----------
    a : scipy.sparse matrix, shape (n, n)
    method : {'cg+amg', 'direct'}
    rtol : float
        Relative residual tolerance of CG.
    """

    def __init__(self, a: sp.spmatrix, method: str = "cg+amg", rtol: float = 1e-6) -> None:
        self.method = normalise_solver(method)
        self.rtol = rtol
        self.a = sp.csr_matrix(a, dtype=np.float64)
        n = self.a.shape[0]
        self.n = n
        if n == 0:
            return
        if self.method == "direct" or n < 64:
            self._lu = spla.splu(self.a.tocsc(), permc_spec="MMD_AT_PLUS_A")
            self._kind = "lu"
        else:
            import pyamg

            # pyamg estimates spectral radii from a random start vector (numpy's global RNG):
            # seed it for the setup so every process builds the same hierarchy (identical
            # numbers whichever executor runs the solves), then restore the caller's state.
            state = np.random.get_state()
            np.random.seed(20170713)
            try:
                ml = self._setup(pyamg)
            finally:
                np.random.set_state(state)
            self._prec = ml.aspreconditioner(cycle="V")
            self._kind = "cg"

    def _setup(self, pyamg):
        return pyamg.smoothed_aggregation_solver(
                self.a, symmetry="symmetric",
                presmoother=("gauss_seidel", {"sweep": "symmetric"}),
                postsmoother=("gauss_seidel", {"sweep": "symmetric"}),
                max_coarse=50,
            )

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve for one right-hand side, shape (n,) → (n,)."""
        if self.n == 0:
            return np.zeros(0)
        b = np.asarray(b, dtype=np.float64)
        if self._kind == "lu":
            return self._lu.solve(b)
        bn = np.linalg.norm(b)
        if bn == 0:
            return np.zeros_like(b)
        x, info = spla.cg(self.a, b, rtol=self.rtol, atol=0.0, M=self._prec, maxiter=10 * self.n + 1000)
        res = np.linalg.norm(self.a @ x - b) / bn
        if info != 0 or res > max(1e-4, 10 * self.rtol):
            raise BigcatsError(f"CG+AMG did not converge (relative residual {res:.2e}); try --solver direct")
        return x


def _rhs(b, n: int) -> np.ndarray:
    """A right-hand side: an array, or an int k meaning the unit vector e_k."""
    if isinstance(b, (int, np.integer)):
        e = np.zeros(n)
        e[int(b)] = 1.0
        return e
    return b


def _solve_task(task) -> np.ndarray:
    a, method, rtol, rhs = task
    f = Factor(a, method, rtol)
    n = a.shape[0]
    out = np.empty((n, len(rhs)), order="F")
    for j, b in enumerate(rhs):
        out[:, j] = f.solve(_rhs(b, n))
    return out


def solve_columns(
    a: sp.spmatrix,
    rhs: Sequence[np.ndarray],
    *,
    method: str = "cg+amg",
    rtol: float = 1e-6,
    executor: Executor | None = None,
    desc: str = "solves",
    out: np.ndarray | None = None,
    out_rows: np.ndarray | None = None,
    out_cols: Sequence[int] | None = None,
) -> np.ndarray:
    """Solve ``a x = b`` for every b in *rhs* with one setup (per worker task).

    Each item of *rhs* is an array of shape (n,) or an int k standing for the unit vector e_k
    (cheap to ship to workers, no dense right-hand sides held in memory).

    In-process the matrix is factorised (or its AMG hierarchy built) once; on an executor the
    right-hand sides are split into a few chunks, each task sets up once and solves its chunk.
    Every column is solved independently, so the numbers do not depend on the executor.

    Returns
    -------
    numpy.ndarray, shape (n, len(rhs)); or *out* when given, with solution j written to
    ``out[out_rows, out_cols[j]]`` (saves a copy of the solution block on large grids).
    """
    n = a.shape[0]
    k = len(rhs)
    if k == 0:
        return np.zeros((n, 0))
    if out is not None:
        rows = slice(None) if out_rows is None else out_rows
        cols = list(range(k)) if out_cols is None else list(out_cols)
        if executor is None:
            f = Factor(a, method, rtol)
            for j, b in enumerate(progress(rhs, total=k, desc=desc)):
                out[rows, cols[j]] = f.solve(_rhs(b, n))
        else:
            block = solve_columns(a, rhs, method=method, rtol=rtol, executor=executor, desc=desc)
            for j in range(k):
                out[rows, cols[j]] = block[:, j]
        return out
    if executor is None:
        f = Factor(a, method, rtol)
        res = np.empty((n, k), order="F")
        for j, b in enumerate(progress(rhs, total=k, desc=desc)):
            res[:, j] = f.solve(_rhs(b, n))
        return res
    workers = getattr(executor, "_max_workers", None) or 4
    nchunk = max(1, min(k, int(workers)))
    bounds = np.linspace(0, k, nchunk + 1).astype(int)
    tasks = [(a, method, rtol, list(rhs[bounds[i]:bounds[i + 1]])) for i in range(nchunk)]
    parts = map_ordered(_solve_task, tasks, executor=executor, desc=desc)
    return np.concatenate(parts, axis=1)
