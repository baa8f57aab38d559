"""DSR and PBO (SPEC §6.2) against values worked out by hand, and PBO against a plain
reference implementation (one loop per split, the statistics module's stdev)."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest

from rbts.runtime.research import stats

RETURNS = [0.01, -0.005, 0.02, 0.0, 0.015]


def test_daily_sharpe_and_population_moments_by_hand():
    # mean 0.008; deviations .002 -.013 .012 -.008 .007; sum of squares 4.3e-4
    assert stats.daily_sharpe(RETURNS) == pytest.approx(0.008 / math.sqrt(4.3e-4 / 4), rel=1e-12)
    g3, g4 = stats.moments(RETURNS)
    m2, m3, m4 = 4.3e-4 / 5, -0.63e-6 / 5, 5.581e-8 / 5  # population moments, by hand
    assert g3 == pytest.approx(m3 / m2**1.5, rel=1e-9) and g3 == pytest.approx(-0.157988, abs=1e-6)
    assert g4 == pytest.approx(m4 / m2**2, rel=1e-9) and g4 == pytest.approx(1.509194, abs=1e-6)


def test_deflated_sharpe_by_hand():
    sr = 0.008 / math.sqrt(4.3e-4 / 4)  # 0.771589
    sharpes = [sr, 0.3, 0.1, -0.2]  # N = 4 ok variants, this one the best
    v = statistics.variance(sharpes)  # ddof 1: 0.166451
    # Phi^-1(1 - 1/4) = 0.674490 and Phi^-1(1 - 1/(4e)) = 1.328722 (normal table)
    sr0 = math.sqrt(v) * ((1 - 0.5772156649) * 0.6744897502 + 0.5772156649 * 1.3287219496)
    assert stats.expected_max_sharpe(sharpes) == pytest.approx(sr0, rel=1e-9)
    assert sr0 == pytest.approx(0.429249, abs=1e-6)
    g3, g4 = -0.157988, 1.509194
    z = (sr - sr0) * math.sqrt(5 - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)  # 0.625626
    assert stats.deflated_sharpe(RETURNS, sharpes) == pytest.approx(statistics.NormalDist().cdf(z), abs=1e-6)
    assert stats.deflated_sharpe(RETURNS, sharpes) == pytest.approx(0.734220, abs=1e-6)


def test_deflated_sharpe_undefined_cases():
    assert stats.deflated_sharpe(RETURNS, [0.5]) is None  # one variant: no variance of Sharpes
    assert stats.deflated_sharpe([0.0, 0.0, 0.0], [0.1, 0.2]) is None  # flat equity: no Sharpe
    assert stats.daily_sharpe([0.01]) is None


# A return series whose sum is 0 and no 8 of whose 16 values sum to 0 (powers of two and
# minus their sum): every in-sample half has a non-zero mean, and the out-of-sample half
# has the opposite sum.
MIRROR = np.array([2.0**k for k in range(15)] + [-(2.0**15 - 1)]) * 1e-6


def test_pbo_mirror_pair_always_overfits():
    # x and -x: the in-sample winner is the one whose half has a positive sum, so out of
    # sample it has the negative sum: rank 1 of 2, w = 1/3 <= 0.5 in every split -> 1.0
    assert stats.pbo(np.column_stack([MIRROR, -MIRROR])) == 1.0


def test_pbo_dominant_variant_never_overfits():
    # the same noise shifted up by more than it varies: same std, higher mean everywhere:
    # the in-sample winner wins out of sample too (rank 2 of 2, w = 2/3) -> 0.0
    noise = np.resize([0.001, -0.002, 0.0005, 0.0015], 32)
    assert stats.pbo(np.column_stack([noise, noise + 0.01])) == 0.0
    assert stats.pbo(np.column_stack([noise + 0.01, noise])) == 0.0


def test_pbo_identical_variants_tie():
    # equal in-sample Sharpes: the first column is chosen; out of sample the two tie:
    # average rank 1.5, w = 1.5 / 3 = 0.5 <= 0.5 -> every split counts -> 1.0
    noise = np.resize([0.001, -0.002, 0.0005, 0.0015, 0.003], 48)
    assert stats.pbo(np.column_stack([noise, noise])) == 1.0


def test_pbo_drops_the_first_rows_and_needs_enough_data():
    base = np.column_stack([MIRROR, -MIRROR])
    spoiled = np.vstack([[5.0, -5.0], base])  # 17 rows: the first (T mod 16) is dropped
    assert stats.pbo(spoiled) == stats.pbo(base) == 1.0
    assert stats.pbo(base[:15]) is None  # fewer than 16 days
    assert stats.pbo(base[:, :1]) is None  # one variant


def _reference_pbo(m: np.ndarray, s: int = 16) -> float:
    t, n = m.shape
    size = t // s
    m = m[t - size * s:]
    blocks = [m[i * size:(i + 1) * size] for i in range(s)]

    def sharpe(rows: np.ndarray, j: int) -> float:
        col = [float(x) for x in rows[:, j]]
        sd = statistics.stdev(col)
        return statistics.fmean(col) / sd if sd > 0 else 0.0

    low = total = 0
    for picked in itertools.combinations(range(s), s // 2):
        ins = np.vstack([blocks[i] for i in picked])
        outs = np.vstack([blocks[i] for i in range(s) if i not in picked])
        sr_in = [sharpe(ins, j) for j in range(n)]
        best = sr_in.index(max(sr_in))
        sr_out = [sharpe(outs, j) for j in range(n)]
        mine = sr_out[best]
        rank = sum(x < mine for x in sr_out) + (sum(x == mine for x in sr_out) + 1) / 2
        low += rank / (n + 1) <= 0.5
        total += 1
    return low / total


@pytest.mark.slow
def test_pbo_matches_a_plain_reference_on_a_random_matrix():
    rng = np.random.default_rng(7)
    m = rng.normal(0.0005, 0.01, size=(35, 5)) + np.array([0, 0.001, -0.001, 0.002, 0.0])
    assert stats.pbo(m) == pytest.approx(_reference_pbo(m), abs=1e-12)
    # chunking the splits changes nothing
    assert stats.pbo(m, chunk_cells=7) == stats.pbo(m)
