"""Display role: the calling screen in the waiting area, with a voice announcement for each call."""
from __future__ import annotations

from typing import Any

IDLE_TIMEOUT_S = 0.0  # nobody touches it: no idle reset


def screens(app: Any) -> list[Any]:
    from kiosk.roles.display.calling import CallingScreen
    from kiosk.voice import Announcer

    app.services.setdefault("announcer", Announcer())
    return [CallingScreen(name="calling")]
