"""Benchmark: identify 10,000 samples x 20 loci; ratio to a straightforward per-pair implementation.

    /work/venv/bin/python bench/bench_identify.py [--samples 10000] [--loci 20] [--naive-subset 400]

Data: 4,000 simulated animals (20 loci, ~7 alleles, He ~0.75), 2-3 samples each (10,000 in
all), every sample with 5 % missing loci and 3 % allelic dropout; matched with --missing-weight 0
(mismatches over co-typed loci) and --max-mismatch 2, --min-loci 10. The baseline is
`genetics.identify.naive_dissimilarity` (Python loops over pairs and loci) timed on a random
subset of samples and EXTRAPOLATED to all pairs (it would take hours on the full set); the
baseline covers only the pairwise step, so the ratio understates the gap (clustering excluded).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from genetics.identify import adjusted_rand_index, close_pairs, identify_individuals, naive_dissimilarity
from genetics.model import MISSING
from genetics.simulate import draw_founders, panel_with_diversity


def make_data(n_samples: int, n_loci: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    panel = panel_with_diversity(n_loci, 7, 0.75, rng=rng)
    n_animals = int(n_samples / 2.5)
    truth = draw_founders(panel, n_animals, rng)
    animal = np.concatenate([np.arange(n_animals), rng.integers(0, n_animals, n_samples - n_animals)])
    rng.shuffle(animal)
    a = truth[animal].copy()
    het = a[..., 0] != a[..., 1]
    drop = het & (rng.random(het.shape) < 0.03)
    a[drop, 1] = a[drop, 0]
    a[rng.random(het.shape) < 0.05] = MISSING
    return np.sort(a, axis=-1).astype(np.int32), animal


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--loci", type=int, default=20)
    ap.add_argument("--naive-subset", type=int, default=400)
    ap.add_argument("--max-mismatch", type=float, default=2)
    ap.add_argument("--missing-weight", type=float, default=0.0)
    args = ap.parse_args()
    a, animal = make_data(args.samples, args.loci)
    n = len(a)
    print(f"data: {n} samples x {args.loci} loci, {len(np.unique(animal))} animals; cpus: {os.cpu_count()}")

    t0 = time.perf_counter()
    close_pairs(a, args.max_mismatch, args.loci // 2, missing_weight=args.missing_weight)
    t_pairs = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = identify_individuals(a, args.max_mismatch, args.loci // 2, missing_weight=args.missing_weight)
    t_ident = time.perf_counter() - t0
    ari = adjusted_rand_index(animal, r.individual)
    print(f"vectorised pairwise step (close_pairs, all {n * (n - 1) // 2:,} pairs): {t_pairs:.2f} s")
    print(f"identify_individuals (pairs + clustering + consensus, {r.iterations} rounds): {t_ident:.2f} s "
          f"-> {r.n_individuals} individuals, ARI vs truth {ari:.4f}")

    rng = np.random.default_rng(0)
    k = min(args.naive_subset, n)
    sub = a[rng.choice(n, k, replace=False)]
    t0 = time.perf_counter()
    naive_dissimilarity(sub, args.missing_weight)
    t_naive_sub = time.perf_counter() - t0
    per_pair = t_naive_sub / (k * (k - 1) / 2)
    t_naive_full = per_pair * n * (n - 1) / 2
    print(f"naive per-pair Python: {t_naive_sub:.2f} s for {k} samples ({per_pair * 1e6:.1f} us/pair) "
          f"-> extrapolated to {n} samples: {t_naive_full:.0f} s")
    print(f"ratio naive(extrapolated) / vectorised pairwise step: {t_naive_full / t_pairs:.0f}x")
    print(f"ratio naive(extrapolated) / whole identification:     {t_naive_full / t_ident:.0f}x")


if __name__ == "__main__":
    main()
