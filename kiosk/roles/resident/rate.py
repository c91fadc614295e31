"""Rating at the resident kiosk, by ticket number (later than the visit, or on the way out)."""
from __future__ import annotations

from kiosk.rating import RatingScreen


class RateScreen(RatingScreen):
    """The shared rating screen; the resident types the number first."""
