"""`--dyadml-states` reaches the estimator: 3 outbred states read lower than 9 Jacquard states."""

from __future__ import annotations

import pandas as pd

from fixtures import fixture_path


def test_dyadml_states_option(run_cli, tmp_path):
    src = str(fixture_path("genetics", "popgen_snow_leopard_sim.gen"))
    out = {}
    for states in ("3", "9"):
        path = tmp_path / f"r{states}.csv"
        code, _, err = run_cli("genetics", "relatedness", src, "--estimators", "dyadml",
                               "--dyadml-states", states, "-o", str(path))
        assert code == 0, err
        out[states] = pd.read_csv(path)
    r3, r9 = out["3"]["dyadml"], out["9"]["dyadml"]
    assert len(r3) == len(r9) == 73 * 72 // 2
    # the 9-state model can only add likelihood mass to inbred states: never lower on average
    assert r9.mean() > r3.mean()
    # the relationship class is scored at the outbred points either way
    assert (out["3"]["dyadml_class"] == out["9"]["dyadml_class"]).all()
