"""The Zhongyuan District demonstration ledger: building it and loading it into a store.

Modules: ``build`` (the frames and :func:`load_demo`), ``sources``, ``inspections``,
``cases`` (a month of cases run through the case machine), ``air`` (a synthetic
month of hourly readings from planted plumes), ``zones`` (synthetic
zoning) and ``names`` (synthetic shop names and addresses).
Everything here is demonstration data built from ``data/``.

May import: the domain modules of ``geo`` (``crs``, ``ledger``, ``errors``, ``writes``,
``store.base``, ``cases.machine``, ``cases.types``, ``air.plume``); nothing in ``geo`` imports this
package except the CLI and tests.
"""

from geo.demo.build import (
    BOUNDARY_FILE,
    DATA_DIR,
    DEMO_SEED,
    LOAD_ORDER,
    SHARED_BOUNDARIES,
    build_boundary_file,
    build_demo,
    load_boundary,
    load_demo,
)

__all__ = [
    "BOUNDARY_FILE",
    "DATA_DIR",
    "DEMO_SEED",
    "LOAD_ORDER",
    "SHARED_BOUNDARIES",
    "build_boundary_file",
    "build_demo",
    "load_boundary",
    "load_demo",
]
