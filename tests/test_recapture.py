"""Recaptures: geodesic distances, border crossings, coordinate generalisation, secr export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures import fixture_path
from genetics.recapture import detections_table, generalize_coordinates, individual_summary, secr_tables


def _det():
    s = pd.DataFrame({"sample_id": ["a", "b", "c", "d"], "individual_id": ["I1", "I1", "I1", "I2"],
                      "status": ["ok"] * 4})
    md = pd.DataFrame({"sample_id": ["a", "b", "c", "d"], "lon": [90.0, 90.0, 91.0, 90.3],
                       "lat": [50.0, 51.0, 50.0, 50.2], "country": ["MN", "RU", "MN", "RU"],
                       "site": ["s1", "s2", "s1", "s3"], "date": ["2024-01-03", "2024-02-01", "2024-03-01", "2024-01-10"]})
    return detections_table(s, md)


def test_summary_by_hand():
    t = individual_summary(_det()).set_index("individual_id")
    i1 = t.loc["I1"]
    assert i1.detections == 3 and i1.sites == 2 and i1.countries == "MN;RU"
    assert i1.first_date == "2024-01-03" and i1.last_date == "2024-03-01"
    assert i1.cross_border and i1.border_crossings == 2  # MN -> RU -> MN
    # largest of the three geodesics: (90,51)-(91,50) ~ 131 km (WGS 84, pyproj)
    from pyproj import Geod

    d = Geod(ellps="WGS84").inv(90.0, 51.0, 91.0, 50.0)[2] / 1000
    assert i1.max_distance_km == pytest.approx(round(d, 1))
    assert 125 < d < 140
    assert t.loc["I2"].max_distance_km == 0 and not t.loc["I2"].cross_border


def test_generalize_snaps_to_grid():
    rng = np.random.default_rng(0)
    lon = 90.3 + rng.uniform(-0.5, 0.5, 500)
    lat = 50.25 + rng.uniform(-0.3, 0.3, 500)
    glon, glat = generalize_coordinates(lon, lat, 10)
    # at most ~half a cell diagonal away, and few distinct cells
    from pyproj import Geod

    d = Geod(ellps="WGS84").inv(lon, lat, glon, glat)[2] / 1000
    assert d.max() <= 10 * np.sqrt(2) / 2 * 1.3
    assert len(set(zip(glon, glat))) < 60
    # idempotent: a cell centre stays where it is
    g2 = generalize_coordinates(glon, glat, 10)
    np.testing.assert_allclose(g2[0], glon, atol=1e-6)
    np.testing.assert_allclose(g2[1], glat, atol=1e-6)


def test_secr_tables():
    ch, tr = secr_tables(_det(), occasion_days=30, generalize_km=None)
    assert list(ch.columns) == ["Session", "ID", "Occasion", "Detector"]
    assert list(ch.Occasion) == [1, 1, 2, 1]  # days 0, 29, 58, 7 from the first date
    assert len(tr) == 4 and set(ch.Detector) == set(tr.Detector)
    ch5, tr5 = secr_tables(_det(), generalize_km=200)
    assert len(tr5) < 4


def test_cli_chain_generalised_by_default(tmp_path, run_cli):
    f = lambda n: str(fixture_path("genetics", n))  # noqa: E731
    assert run_cli("genetics", "consensus", f("snow_leopard_replicates.csv"), "-o", str(tmp_path / "c.csv"))[0] == 0
    assert run_cli("genetics", "identify", str(tmp_path / "c.csv"), "-o", str(tmp_path / "s.csv"),
                   "--sex-locus", "SRYsim", "--missing-weight", "0", "--max-mismatch", "1")[0] == 0
    code, _, err = run_cli("genetics", "recaptures", str(tmp_path / "s.csv"), "--metadata", f("snow_leopard_metadata.csv"),
                           "-o", str(tmp_path / "r.csv"), "--detections-out", str(tmp_path / "d.csv"),
                           "--secr-capthist", str(tmp_path / "ch.txt"), "--secr-traps", str(tmp_path / "tr.txt"))
    assert code == 0, err
    md = pd.read_csv(f("snow_leopard_metadata.csv"))
    d = pd.read_csv(tmp_path / "d.csv")
    assert (d.generalized_km == 5).all()
    merged = d.merge(md, on="sample_id", suffixes=("", "_true"))
    assert not np.isclose(merged.lon, merged.lon_true, rtol=0, atol=1e-7).any()
    r = pd.read_csv(tmp_path / "r.csv")
    assert r.cross_border.sum() >= 1
    assert (tmp_path / "ch.txt").read_text().startswith("# Session ID Occasion Detector")
    code, _, err = run_cli("genetics", "recaptures", str(tmp_path / "s.csv"), "--metadata", f("snow_leopard_metadata.csv"),
                           "-o", str(tmp_path / "r2.csv"), "--detections-out", str(tmp_path / "d2.csv"),
                           "--precise-coordinates")
    assert code == 0, err
    d2 = pd.read_csv(tmp_path / "d2.csv").merge(md, on="sample_id", suffixes=("", "_true"))
    np.testing.assert_allclose(d2.lon, d2.lon_true)
    assert "generalized_km" not in d2.columns


def test_cli_recaptures_bad_input(tmp_path, run_cli):
    s = tmp_path / "s.csv"
    s.write_text("sample_id,individual\nx,1\n")
    code, _, err = run_cli("genetics", "recaptures", str(s))
    assert code == 1 and "individual_id" in err and len(err.strip().splitlines()) == 1
