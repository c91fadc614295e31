"""The three kiosk roles; each package exposes ``screens(app)`` (home first) and ``idle_timeout_s(settings)``."""
