"""The rating screen on the crew console, turned round to the resident after completion."""
from __future__ import annotations

from kiosk.rating import RatingScreen


class CrewRatingScreen(RatingScreen):
    """Same five faces; the ticket is preset and the console returns to the queue afterwards."""
