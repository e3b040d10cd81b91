"""Benchmark: cost-weighted distance from 20 cores on a 1,000 x 1,000 grid.

Prints the time of ``least_cost_analysis`` (CWD from every core, LCD matrix, Euclidean
distances, least-cost paths, link metrics) and of ``corridors``, and the ratio to the bare
``skimage.graph.MCP_Geometric`` calls alone (20 x construct + find_costs) measured in the
same run. Run: ``/work/venv/bin/python bench/bench_leastcost.py [--size N] [--cores K] [--workers W]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from connectivity.leastcost import corridors, least_cost_analysis
from connectivity.raster import Raster


def landscape(size: int, n_cores: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    res = rng.uniform(1.0, 100.0, size=(size, size))
    res[rng.random((size, size)) < 0.1] = -9999.0  # 10 % nodata
    cores = np.zeros((size, size), dtype=np.int64)
    side = int(np.ceil(np.sqrt(n_cores)))
    step = size // (side + 1)
    k = 0
    for i in range(side):
        for j in range(side):
            if k == n_cores:
                break
            r, c = (i + 1) * step, (j + 1) * step
            cores[r - 2:r + 3, c - 2:c + 3] = k + 1
            res[r - 2:r + 3, c - 2:c + 3] = np.abs(res[r - 2:r + 3, c - 2:c + 3])
            k += 1
    return Raster(res, Affine(100.0, 0, 0, 0, -100.0, 0), CRS.from_epsg(32652), -9999.0), cores


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--cores", type=int, default=20)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2,
                    help="Alternate baseline and full run this many times; report the fastest of each "
                         "(the box may be shared).")
    a = ap.parse_args()
    ras, cores = landscape(a.size, a.cores)
    from skimage.graph import MCP_Geometric

    costs = np.where(ras.valid, ras.values, np.inf)

    def bare() -> None:
        for cid in range(1, a.cores + 1):
            m = MCP_Geometric(costs, fully_connected=True, sampling=(100.0, 100.0))
            m.find_costs(np.argwhere(cores == cid))

    executor = None
    if a.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(a.workers)
    t_bare = t_lca = t_cor = np.inf
    for _ in range(max(1, a.repeat)):
        t = time.perf_counter()
        bare()
        t_bare = min(t_bare, time.perf_counter() - t)
        t = time.perf_counter()
        result = least_cost_analysis(ras, cores, neighbors=8, executor=executor)
        t_lca = min(t_lca, time.perf_counter() - t)
        t = time.perf_counter()
        corridors(result)
        t_cor = min(t_cor, time.perf_counter() - t)
        del result.cwd
    if executor is not None:
        executor.shutdown()
    print(f"grid {a.size}x{a.size}, {a.cores} cores, 8 neighbours, workers={a.workers or 1}")
    print(f"bare MCP_Geometric x{a.cores}:            {t_bare:7.2f} s")
    print(f"least_cost_analysis (CWD+LCD+paths+links): {t_lca:7.2f} s  ratio {t_lca / t_bare:5.2f}")
    print(f"corridors (NLCC mosaic, {len(result.links)} links):       {t_cor:7.2f} s  ratio {t_cor / t_bare:5.2f}")


if __name__ == "__main__":
    main()
