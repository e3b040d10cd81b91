"""A self-contained HTML report for management plans: maps, ranked links and sites, provenance.

The report is one HTML file with everything embedded: maps as base64 PNG ``data:`` URIs,
tables as HTML, inline CSS, no scripts and no external resources (it renders offline and can be
attached to a plan). It records the parameters, the SHA-256 of every input file and the
bigcats version so that a result can be traced and reproduced.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genetics.errors import InputDataError
from genetics.io.atomic import atomic_open

from .raster import Raster

__all__ = [
    "Section",
    "sha256_file",
    "figure_data_uri",
    "landscape_map",
    "table_html",
    "image_html",
    "genetics_sections",
    "render_report",
    "write_report",
    "tool_version",
]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.4;padding:0 1em}
h1{border-bottom:3px solid #2a6;padding-bottom:.2em}h2{margin-top:2em;color:#164}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.8em;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:right}th{background:#e8f3ec}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ccc}
figcaption{font-size:.85em;color:#555}.note{font-size:.85em;color:#555}
code{background:#f3f3f3;padding:0 .2em}
"""


@dataclass
class Section:
    """One report section: a heading and HTML fragments (already escaped)."""

    title: str
    parts: list[str] = field(default_factory=list)

    def add(self, fragment: str) -> "Section":
        self.parts.append(fragment)
        return self

    def text(self, s: str) -> "Section":
        self.parts.append(f"<p>{html.escape(s)}</p>")
        return self


def tool_version() -> str:
    """Installed bigcats version (``0+unknown`` from a bare source tree)."""
    try:
        from importlib.metadata import version

        return version("bigcats")
    except Exception:  # pragma: no cover
        return "0+unknown"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def figure_data_uri(fig: Any, dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _outline(ax: Any, mask: np.ndarray, color: str, lw: float = 1.2) -> None:
    if mask.any():
        ax.contour(mask.astype(float), levels=[0.5], colors=[color], linewidths=lw)


def landscape_map(
    resistance: Raster,
    *,
    cores: np.ndarray | None = None,
    core_labels: dict[int, str] | None = None,
    paths: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
    path_width: dict[tuple[int, int], float] | None = None,
    overlay: np.ndarray | None = None,
    overlay_label: str = "",
    sites: list[tuple[str, np.ndarray]] | None = None,
    title: str = "",
) -> str:
    """Map of log10 resistance with cores, least-cost paths, an optional score overlay and sites.

    Parameters
    ----------
    resistance : Raster
    cores : ndarray of int (rows, cols), optional
        Core ids (outlined, labelled at their centroid).
    core_labels : dict id -> label, optional
    paths : dict (a, b) -> (rows, cols), optional
        Least-cost paths in cell indices.
    path_width : dict (a, b) -> float, optional
        Line width per path (e.g. by priority).
    overlay : ndarray (rows, cols), optional
        Scores drawn in colour where > 0 (e.g. barrier scores).
    sites : list of (label, flat cell indices), optional
        Candidate sites, outlined and labelled.
    title : str

    Returns
    -------
    str
        PNG data URI.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = resistance.shape
    fig, ax = plt.subplots(figsize=(9, 9 * rows / cols if cols else 6))
    r = resistance.masked()
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log10(r)
    im = ax.imshow(lr, cmap="YlOrBr", interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, shrink=0.6)
    cb.set_label("log10 resistance")
    if overlay is not None:
        ov = np.where(np.isfinite(overlay) & (overlay > 0), overlay, np.nan)
        if np.isfinite(ov).any():
            im2 = ax.imshow(ov, cmap="cool", alpha=0.75, interpolation="nearest")
            cb2 = fig.colorbar(im2, ax=ax, shrink=0.6)
            cb2.set_label(overlay_label)
    if paths:
        for key, (pr, pc) in paths.items():
            lw = (path_width or {}).get(key, 1.5)
            ax.plot(pc, pr, color="#0a5", lw=lw, alpha=0.9)
    if cores is not None:
        ids = np.unique(cores[cores > 0])
        for cid in ids:  # loop over cores (few)
            m = cores == cid
            _outline(ax, m, "#036", 1.5)
            rr, cc = np.nonzero(m)
            label = (core_labels or {}).get(int(cid), str(int(cid)))
            ax.annotate(label, (cc.mean(), rr.mean()), color="#013", fontsize=7, ha="center", va="bottom",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
    if sites:
        for label, cells in sites:
            m = np.zeros(rows * cols, dtype=bool)
            m[cells] = True
            m = m.reshape(rows, cols)
            _outline(ax, m, "#c00", 1.8)
            rr, cc = np.nonzero(m)
            if rr.size:
                ax.annotate(label, (cc.mean(), rr.min()), color="#a00", fontsize=7, ha="center", va="bottom")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return figure_data_uri(fig)


def table_html(df: pd.DataFrame, *, caption: str = "", max_rows: int = 60, digits: int = 4) -> str:
    """An HTML table (escaped) of at most *max_rows* rows, floats to *digits* significant digits."""
    shown = df.head(max_rows)

    def fmt(x: Any) -> str:
        if isinstance(x, (float, np.floating)):
            if not np.isfinite(x):
                return "" if np.isnan(x) else ("inf" if x > 0 else "-inf")
            return f"{x:.{digits}g}"
        return str(x)

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>"
                   for row in shown.itertuples(index=False))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    more = (f"<p class='note'>{len(df) - max_rows} more row(s) not shown.</p>" if len(df) > max_rows else "")
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def image_html(uri: str, alt: str, caption: str = "") -> str:
    """A figure with an embedded image (``data:`` URIs only: the report must stay self-contained)."""
    if not uri.startswith("data:"):
        raise ValueError("report images must be embedded data: URIs")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure><img src=\"{uri}\" alt=\"{html.escape(alt)}\">{cap}</figure>"


def genetics_sections(tables: list[str | os.PathLike[str]], *, max_rows: int = 40) -> Section:
    """A section embedding genetics result tables (CSV/TSV files written by ``bigcats genetics ...``)."""
    from genetics.io.tables import read_table

    sec = Section("Genetics")
    for t in tables:
        p = Path(t)
        df = read_table(p)
        sec.add(f"<h3>{html.escape(p.name)}</h3>")
        sec.add(table_html(df, max_rows=max_rows))
    return sec


def render_report(
    title: str,
    sections: list[Section],
    *,
    parameters: dict[str, Any] | None = None,
    inputs: dict[str, str | os.PathLike[str]] | None = None,
    version: str | None = None,
    generated: str | None = None,
) -> str:
    """The report as an HTML string.

    Parameters
    ----------
    title : str
    sections : list of Section
    parameters : dict, optional
        Analysis parameters shown in a table.
    inputs : dict label -> path, optional
        Input files; their SHA-256 are listed.
    version : str, optional
        Tool version (default: the installed bigcats version).
    generated : str, optional
        Timestamp text (default: now, UTC). Pass a fixed string for reproducible files.
    """
    version = version or tool_version()
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f"<p class='note'>bigcats {html.escape(version)} &middot; generated {html.escape(generated)}</p>"]
    toc = "".join(f"<li>{html.escape(s.title)}</li>" for s in sections)
    out.append(f"<ol>{toc}<li>Parameters and inputs</li></ol>")
    for s in sections:
        out.append(f"<section><h2>{html.escape(s.title)}</h2>")
        out.extend(s.parts)
        out.append("</section>")
    out.append("<section><h2>Parameters and inputs</h2>")
    if parameters:
        out.append(table_html(pd.DataFrame({"parameter": list(parameters), "value": [str(v) for v in parameters.values()]}),
                              max_rows=10_000))
    if inputs:
        rows = [(label, Path(p).name, sha256_file(p)) for label, p in inputs.items()]
        out.append(table_html(pd.DataFrame(rows, columns=["input", "file", "sha256"]), max_rows=10_000))
    out.append(f"<p class='note'>Tool: bigcats {html.escape(version)}.</p></section></body></html>")
    return "\n".join(out)


def write_report(path: str | os.PathLike[str], document: str) -> Path:
    """Write the HTML atomically."""
    p = Path(path)
    with atomic_open(p, "w", encoding="utf-8") as fh:
        fh.write(document)
    return p
