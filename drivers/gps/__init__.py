"""GPS source: a gpsd client with a reconnect loop, fix parsing and plausibility filters."""
from drivers.gps.client import GpsdSource
from drivers.gps.filters import REASONS, FixFilter, Verdict
from drivers.gps.fix import BadReport, Fix, fix_from_tpv
from drivers.gps.geo import distance_m

__all__ = ["REASONS", "BadReport", "Fix", "FixFilter", "GpsdSource", "Verdict", "distance_m", "fix_from_tpv"]
