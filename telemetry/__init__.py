"""The bus agent: GPS tracking, stop detection, outbox drain and the MQTT uplink."""
