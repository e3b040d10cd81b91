"""The bundled real landscapes: fixtures, facts against ../shared, and the demo step."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from connectivity.landscapes import REGIONS, build_landscape, region_dir
from connectivity.raster import read_raster


@pytest.mark.parametrize("region", list(REGIONS))
def test_fixture_files_present_and_small(region):
    d = region_dir(region)
    for name in ("elevation_5arcmin_mapzen.tif", "rivers_gshhg.geojson", "borders_gshhg.geojson", "core_areas.csv",
                 "settlements.csv", "infrastructure.geojson", "lakes.geojson"):
        assert (d / name).exists(), name
    assert sum(p.stat().st_size for p in d.iterdir()) < 1_000_000
    inf = json.loads((d / "infrastructure.geojson").read_text())
    for f in inf["features"]:
        assert f["properties"]["source"].startswith("http") and f["properties"]["kind"] in ("road", "railway")
    s = pd.read_csv(d / "settlements.csv", comment="#")
    assert {"name", "lon", "lat", "population", "source"} <= set(s.columns)


@pytest.mark.parametrize("region", list(REGIONS))
def test_settlement_facts_match_natural_earth(region, shared):
    """Our settlement coordinates agree with Natural Earth populated places (where NE has them)."""
    ne = json.loads(shared("data", "landscape", region, "populated_places.geojson").read_text())
    pp = pd.DataFrame([dict(name=f["properties"]["NAMEASCII"].lower().replace(" ", "-"),
                            lon=f["geometry"]["coordinates"][0], lat=f["geometry"]["coordinates"][1])
                       for f in ne["features"]])
    s = pd.read_csv(region_dir(region) / "settlements.csv", comment="#")
    matched = 0
    for row in s.itertuples():
        if row.name == "Tonghua":  # NE's "Tonghua" point (pop 27k) is the county seat, not the city
            continue
        hit = pp[pp["name"] == row.name.lower().replace(" ", "-")]
        if len(hit):
            dx = (hit["lon"].iloc[0] - row.lon) * np.cos(np.radians(row.lat)) * 111.2
            dy = (hit["lat"].iloc[0] - row.lat) * 111.2
            assert np.hypot(dx, dy) < 15.0, row.name
            matched += 1
    assert matched >= 10


@pytest.mark.parametrize("region", list(REGIONS))
def test_build_landscape_cores_on_land(region):
    res, comps, cores = build_landscape(region)
    assert not res.is_geographic and res.cellsize == (5000.0, 5000.0)
    assert list(cores.table["name"]) == list(REGIONS[region].cores)
    assert (cores.table["n_cells"] > 0).all()
    assert res.valid[cores.ids > 0].all()
    # cores lie in good habitat: every core below the landscape's 75th percentile, most below the median
    # (exceptions by design: Changbaishan's summit cells for tigers, the Tunka valley floor for snow leopards)
    q50, q75 = np.percentile(res.values[res.valid], [50, 75])
    med = np.array([np.median(res.values[cores.ids == cid]) for cid in cores.table["id"]])
    assert (med <= q75).all()
    assert (med <= q50).sum() >= len(med) - 2


def test_elevation_band_of_snow_leopard_cores():
    """Altai–Sayan snow-leopard cores (but the Tunka valley) sit at 1,800–3,500 m in the DEM cells."""
    dem = read_raster(region_dir("altai_sayan") / "elevation_5arcmin_mapzen.tif")
    c = pd.read_csv(region_dir("altai_sayan") / "core_areas.csv")
    r, k = dem.xy_to_rowcol(c["lon"].to_numpy(), c["lat"].to_numpy())
    z = dem.values[r, k]
    mountain = ~c["name"].str.startswith("Tunkinsky")
    assert ((z[mountain] >= 1800) & (z[mountain] <= 3500)).all()


def test_demo_step_writes_everything(tmp_path):
    from cli.landscape import demo_leastcost

    demo_leastcost(tmp_path, 1)
    for region in REGIONS:
        d = tmp_path / "connectivity" / region
        for name in ("resistance.tif", "corridors.tif", "cores.tif", "cores.csv", "links.csv", "paths.geojson", "map.png"):
            assert (d / name).stat().st_size > 0, (region, name)
        assert (d / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        links = pd.read_csv(d / "links.csv")
        assert (links["intermediate_core"] == 0).all()
        assert np.isfinite(links["cost_distance"]).all()
        pairs = set(zip(links["from_name"], links["to_name"]))
        names = set(links["from_name"]) | set(links["to_name"])
        assert names == set(REGIONS[region].cores)  # every core is linked into the network
        cor = read_raster(d / "corridors.tif")
        assert cor.valid.any()
    amur = pd.read_csv(tmp_path / "connectivity" / "amur" / "links.csv")
    lotl = amur[(amur["from_name"] == "Land of the Leopard National Park")
                & (amur["to_name"] == "Laoyeling (Laoye Mountains; NTLNP north)")]
    # the cross-border Land of the Leopard – Laoye corridor (npa.net.cn corridor plan) is a direct link
    assert len(lotl) == 1 and 50 < lotl["path_km"].iloc[0] < 200
    alt = pd.read_csv(tmp_path / "connectivity" / "altai_sayan" / "links.csv")
    assert ((alt["from_name"] == "Chikhachev Ridge") & alt["to_name"].str.startswith("Tsagan-Shibetu")).any()
    assert pairs  # noqa: B018 (pairs of the last region were read)
