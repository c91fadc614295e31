"""The three kiosk roles; each package exposes ``screens(app)`` (home first) and ``IDLE_TIMEOUT_S``."""
