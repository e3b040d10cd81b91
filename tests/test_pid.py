"""PID, PIDsib, unbiased PID against enumeration and hand values."""

from __future__ import annotations

import itertools
from math import comb, factorial

import numpy as np
import pytest

from genetics.pid import loci_needed, pid_per_locus, pid_table, pid_unbiased


def _genotype_probs(p):
    out = {}
    for i, j in itertools.combinations_with_replacement(range(len(p)), 2):
        out[(i, j)] = p[i] ** 2 if i == j else 2 * p[i] * p[j]
    return out


def _sib_given(p, g):
    """P(full sib has genotype h | g) over IBD states k0=1/4, k1=1/2, k2=1/4."""
    gp = _genotype_probs(p)
    res = {}
    for h, ph in gp.items():
        k2 = 1.0 if h == g else 0.0
        # one allele IBD: sib gets one of g's alleles (prob 1/2 each) plus a random allele
        k1 = 0.0
        for a in g:
            for b in range(len(p)):
                if tuple(sorted((a, b))) == h:
                    k1 += 0.5 * p[b]
        res[h] = 0.25 * ph + 0.5 * k1 + 0.25 * k2
    return res


@pytest.mark.parametrize("p", [[0.5, 0.25, 0.25], [0.7, 0.3], [0.1, 0.2, 0.3, 0.4]])
def test_closed_forms_equal_enumeration(p):
    p = np.array(p)
    gp = _genotype_probs(p)
    pid_enum = sum(v**2 for v in gp.values())
    sib_enum = sum(gp[g] * _sib_given(p, g)[g] for g in gp)
    pid, sib = pid_per_locus(p)
    assert pid == pytest.approx(pid_enum)
    assert sib == pytest.approx(sib_enum)


def test_hand_example():
    pid, sib = pid_per_locus([0.5, 0.25, 0.25])
    # a2 = 0.375, a4 = 0.0703125
    assert pid == pytest.approx(2 * 0.375**2 - 0.0703125) == pytest.approx(0.2109375)
    assert sib == pytest.approx(0.25 + 0.5 * 0.375 + 0.5 * 0.375**2 - 0.25 * 0.0703125)


def _falling(x, k):
    out = 1
    for i in range(k):
        out *= x - i
    return out


@pytest.mark.parametrize("counts", [[5, 3, 2], [4, 4], [1, 2, 3, 4, 6]])
def test_unbiased_equals_falling_factorial_form(counts):
    c = np.array(counts)
    N = c.sum()
    num = sum(_falling(x, 4) for x in c) + 2 * sum(
        _falling(c[i], 2) * _falling(c[j], 2) for i in range(len(c)) for j in range(len(c)) if i != j)
    assert pid_unbiased(c) == pytest.approx(num / _falling(N, 4))


def test_unbiased_is_unbiased_exhaustively():
    p = np.array([0.6, 0.3, 0.1])
    N = 8
    exp = 0.0
    for c0 in range(N + 1):
        for c1 in range(N + 1 - c0):
            c2 = N - c0 - c1
            prob = factorial(N) / (factorial(c0) * factorial(c1) * factorial(c2)) * p[0] ** c0 * p[1] ** c1 * p[2] ** c2
            exp += prob * pid_unbiased(np.array([c0, c1, c2]))
    assert exp == pytest.approx(pid_per_locus(p)[0])


def test_table_order_and_loci_needed():
    rng = np.random.default_rng(0)
    n = 200
    a = np.zeros((n, 3, 2), dtype=np.int32)
    a[:, 0] = rng.choice([100, 102], size=(n, 2))
    a[:, 1] = rng.choice(np.arange(200, 220, 2), size=(n, 2))
    a[:, 2] = rng.choice([300, 302, 304, 306], size=(n, 2))
    a = np.sort(a, axis=-1)
    t = pid_table(a, ["A", "B", "C"])
    assert list(t.locus) == ["B", "C", "A"]
    assert np.all(np.diff(t.cumulative_pid_sib) < 0)
    assert t.cumulative_pid.iloc[-1] == pytest.approx(np.prod(t.pid))
    assert loci_needed(t, 1.0) == 1
    assert loci_needed(t, 1e-12) is None
    k = loci_needed(t, t.cumulative_pid_sib.iloc[1] * 1.0001)
    assert k == 2
