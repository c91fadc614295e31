"""The bus ↔ headquarters contract as typed code, shared by both sides and importing neither.

Only pydantic and the standard library: the bus (``ztc``, ``telemetry``) and headquarters (``hq``)
both import this package, so the rules for what an event may hold, how deep and how long, and what
counts as private live in one place: the topics and envelopes (``contract.protocol``), the catalog's
types (``contract.catalog``), the event types (``contract.events``), the generic JSON limits
(``contract.limits``) and the privacy check (``contract.privacy``). ``make lint`` checks it imports
none of ours (pyproject.toml, ``[tool.importlinter]``).
"""
