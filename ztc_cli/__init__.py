"""The ``ztc`` command and ``ztc demo``: the wiring on top of every layer (ARCHITECTURE.md, "Layers").

Its own top-level package so that the core (``ztc``) and both sides can be checked never to import it:
it may import anything, nothing imports it.
"""
