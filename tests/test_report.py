"""The HTML report: self-contained, renders in headless Chromium with its maps and tables."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from connectivity.raster import Raster
from connectivity.report import (
    Section,
    genetics_sections,
    image_html,
    landscape_map,
    render_report,
    sha256_file,
    table_html,
    write_report,
)

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-component-update", "--disable-sync"]


def _small_report(tmp_path):
    rng = np.random.default_rng(0)
    res = np.exp(rng.normal(0, 1, (30, 40)))
    res[:3, :5] = -9999.0
    grid = Raster(res, Affine(1000.0, 0, 0, 0, -1000.0, 30000.0), None, -9999.0)
    cores = np.zeros(res.shape, dtype=int)
    cores[10:13, 3:6] = 1
    cores[20:23, 30:34] = 2
    paths = {(1, 2): (np.linspace(11, 21, 20).astype(int), np.linspace(4, 31, 20).astype(int))}
    uri = landscape_map(grid, cores=cores, core_labels={1: "Land of the Leopard", 2: "Laoyeling"}, paths=paths,
                        overlay=np.where(res > 3, res, 0), overlay_label="score",
                        sites=[("site A", np.array([15 * 40 + 20, 15 * 40 + 21]))], title="test map")
    links = pd.DataFrame({"from_name": ["Land of the Leopard"], "to_name": ["Laoyeling <&>"], "priority": [0.75]})
    sec = Section("Amur").add(image_html(uri, "map of Amur", "caption")).add(table_html(links, caption="links"))
    sec.text("Text with <markup> is escaped.")
    gen = tmp_path / "summary_populations.csv"
    gen.write_text("population,n,He\nPrimorye,20,0.61\nJilin,12,0.55\n")
    inputs = {"genetics": gen}
    doc = render_report("Test report", [sec, genetics_sections([gen])], parameters={"species": "amur_tiger"},
                        inputs=inputs, version="9.9", generated="fixed")
    out = write_report(tmp_path / "report.html", doc)
    return out, gen


def test_report_is_self_contained(tmp_path):
    out, gen = _small_report(tmp_path)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert re.findall(r'<img src="data:image/png;base64,', text)
    # no external resources: no http(s) src/href, no scripts, no stylesheets to fetch
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', text)
    assert "<script" not in text and "<link" not in text
    assert "Laoyeling &lt;&amp;&gt;" in text and "&lt;markup&gt;" in text
    assert hashlib.sha256(gen.read_bytes()).hexdigest() == sha256_file(gen)
    assert sha256_file(gen) in text and "bigcats 9.9" in text
    assert "Primorye" in text  # the genetics table
    with pytest.raises(ValueError):
        image_html("https://example.org/x.png", "x")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not on PATH")
def test_report_renders_in_chromium(tmp_path):
    out, _ = _small_report(tmp_path)
    profile = tmp_path / "profile"
    url = out.resolve().as_uri()
    dom = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    imgs = re.findall(r'<img[^>]*src="(data:image/png;base64,[^"]+)"', html)
    assert len(imgs) >= 1 and all(len(s) > 1000 for s in imgs)
    assert html.count("<table") >= 3  # links, genetics, parameters/inputs
    assert "Land of the Leopard" in html and "Primorye" in html
    shot = tmp_path / "shot.png"
    r = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1200,1600", url], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
