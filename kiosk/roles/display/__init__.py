"""Display role: the calling screen in the waiting area, with a voice announcement for each call."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ztc.settings import Settings


def idle_timeout_s(settings: Settings) -> float:
    """Nobody touches the waiting-area screen: no idle reset."""
    return 0.0


def screens(app: Any) -> list[Any]:
    from kiosk.roles.display.calling import CallingScreen
    from kiosk.voice import announcer_from_settings

    if "announcer" not in app.services:
        app.services["announcer"] = announcer_from_settings(app.settings)
    return [CallingScreen(name="calling")]
