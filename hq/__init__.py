"""Headquarters: MQTT ingest, storage, HTTP API and dashboard."""
