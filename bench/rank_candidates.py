"""Benchmark: candidate ranking by delta_reff_sum vs brute force (Circuitscape pairwise per candidate).

Run: /work/venv/bin/python bench/rank_candidates.py [rows cols n_cores n_candidates]

Baseline (measured in the same run): for every candidate, rebuild the graph and solve every core
pair with Circuitscape's focal-region model (`pairwise_solve`, one factorisation per pair), as a
user of Circuitscape would by re-running it per scenario. Ours: one factorisation shared by all
pairs and candidates (Kron reduction + per-candidate touched-node solves). Both give the same
numbers (checked here to 1e-6 relative).
"""

from __future__ import annotations

import sys
import time
from itertools import combinations

import numpy as np
from affine import Affine

from connectivity.candidates import Candidate, apply_candidate, rank_candidates
from connectivity.circuit.graph import conductance_from_values, raster_graph
from connectivity.circuit.modes import pairwise_solve
from connectivity.raster import Raster


def landscape(rows: int, cols: int, n_cores: int, n_cand: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    res = np.exp(rng.normal(1.0, 1.0, (rows, cols)))
    cores = np.zeros((rows, cols), dtype=np.int64)
    for k in range(n_cores):
        r, c = rng.integers(3, rows - 6), rng.integers(3, cols - 6)
        cores[r:r + 4, c:c + 4] = k + 1
    res[cores > 0] = 1.0
    grid = Raster(res, Affine(1000.0, 0, 0, 0, -1000.0, rows * 1000.0), None)
    cands = []
    for k in range(n_cand):
        r, c = rng.integers(2, rows - 5), rng.integers(2, cols - 5)
        m = np.zeros((rows, cols), dtype=bool)
        m[r:r + 3, c:c + 3] = True
        cands.append(Candidate(f"s{k}", 0.5, 1.0, np.flatnonzero((m & (cores == 0)).ravel())))
    return grid, cores, cands


def brute(grid: Raster, cores: np.ndarray, cands: list[Candidate]) -> list[float]:
    ids = np.unique(cores[cores > 0])
    pairs = list(combinations(range(ids.size), 2))
    i, j = np.array(pairs).T

    def total(values):
        g = conductance_from_values(values, grid.valid, is_resistance=True)
        rg = raster_graph(g, neighbors=8, avg="conductance")
        focal = [np.unique(rg.node_map[cores == c]) for c in ids]
        R = pairwise_solve(rg.graph, focal, solver="direct").R
        return float(R[i, j].sum())

    base = total(grid.values)
    return [base - total(apply_candidate(grid.values, c)) for c in cands]


def main() -> None:
    args = [int(a) for a in sys.argv[1:]] or [120, 120, 6, 10]
    rows, cols, n_cores, n_cand = args
    grid, cores, cands = landscape(rows, cols, n_cores, n_cand)
    t0 = time.perf_counter()
    table = rank_candidates(grid, cores, cands, metric="reff", metrics=("reff",))
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = brute(grid, cores, cands)
    t_brute = time.perf_counter() - t0
    got = table.set_index("id").loc[[c.id for c in cands], "delta_reff_sum"].to_numpy()
    err = float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1e-12)))
    print(f"grid {rows}x{cols}, {n_cores} cores ({n_cores * (n_cores - 1) // 2} pairs), {n_cand} candidates")
    print(f"ours (shared factorisation):           {t_ours:8.2f} s")
    print(f"baseline (per-candidate, per-pair LU): {t_brute:8.2f} s")
    print(f"ratio baseline / ours: {t_brute / t_ours:6.1f}x   max relative difference {err:.1e}")


if __name__ == "__main__":
    main()
