"""Circuit-theory connectivity (Circuitscape-compatible) — see docs/connectivity-circuit.md."""

from .api import cumulative_current, effective_resistance_matrix, pinchpoints
from .graph import Graph, RasterGraph, conductance_from_values, raster_graph
from .ini import CircuitConfig, read_ini
from .modes import advanced_solve, all_to_one_solve, one_to_all_solve, pairwise_solve
from .run import run_config

__all__ = [
    "effective_resistance_matrix", "cumulative_current", "pinchpoints",
    "Graph", "RasterGraph", "conductance_from_values", "raster_graph",
    "CircuitConfig", "read_ini", "run_config",
    "pairwise_solve", "advanced_solve", "one_to_all_solve", "all_to_one_solve",
]
