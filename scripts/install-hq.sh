#!/usr/bin/env bash
# Installs ztc headquarters on a server (Debian): /opt/ztc (application + virtualenv), the ztc user,
# ztc-hq.service, tmpfiles.d, journald settings, and the mosquitto broker configuration (TLS
# listener for the buses, passwords, ACL); enabled. Safe to run again.
#
#   scripts/make-broker-certs.sh /root/ztc-fleet ca
#   scripts/make-broker-certs.sh /root/ztc-fleet server hq.example.cn
#   scripts/make-broker-certs.sh /root/ztc-fleet hq
#   sudo ZTC_BROKER_DIR=/root/ztc-fleet scripts/install-hq.sh
#   DESTDIR=/tmp/stage ZTC_BROKER_DIR=... scripts/install-hq.sh          (staging root, no root needed)
#
# Environment: ZTC_BROKER_DIR (the make-broker-certs.sh directory: ca.crt, server.crt, server.key,
# passwd, hq/hq.yaml; without it the broker part is skipped), ZTC_PIP_ARGS, ZTC_PYTHON.
. "$(dirname "$0")/lib/install-common.sh"

if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then die "run as root, or set DESTDIR to stage into a directory"; fi
BROKER=${ZTC_BROKER_DIR:-}
if [ -n "$BROKER" ]; then
  for f in ca.crt server.crt server.key passwd hq/hq.yaml; do
    [ -s "$BROKER/$f" ] || die "ZTC_BROKER_DIR=$BROKER has no $f (make-broker-certs.sh: ca, server, hq)"
  done
fi

ensure_packages mosquitto libjs-leaflet  # Leaflet for the dashboard map (the copy in /opt has no node_modules)
ensure_user /var/lib/ztc-hq

sync_app
ensure_venv ""

put_text /etc/ztc/README 0644 <<'TXT'
ztc site configuration (README.md, "Deployment"): hq.yaml overrides the shipped defaults in
/opt/ztc/app/config; `sudo -u ztc /opt/ztc/venv/bin/ztc --config /etc/ztc/hq.yaml config check`
shows the result.
TXT
if [ -n "$BROKER" ]; then
  put_file "$BROKER/hq/hq.yaml" /etc/ztc/hq.yaml 0640
else
  put_once /dev/stdin /etc/ztc/hq.yaml 0640 <<'TXT'
# Settings of headquarters over the shipped defaults. Replace with hq/hq.yaml of make-broker-certs.sh
# (ZTC_BROKER_DIR) so `ztc hq` logs in to the broker.
hq:
  host: 0.0.0.0
  port: 8080
TXT
fi
host chown root:"$ZTC_USER" /etc/ztc /etc/ztc/hq.yaml
host chmod 0750 /etc/ztc

put_file "$SRC/systemd/ztc-hq.service" /etc/systemd/system/ztc-hq.service 0644
put_file "$SRC/systemd/ztc-hq-report.service" /etc/systemd/system/ztc-hq-report.service 0644
put_file "$SRC/systemd/ztc-hq-report.timer" /etc/systemd/system/ztc-hq-report.timer 0644
# A city or province (PostgreSQL): extra ingest and web processes, enabled by hand (README).
put_file "$SRC/systemd/ztc-hq-ingest@.service" /etc/systemd/system/ztc-hq-ingest@.service 0644
put_file "$SRC/systemd/ztc-hq-web@.service" /etc/systemd/system/ztc-hq-web@.service 0644
put_file "$SRC/systemd/ztc-hq-housekeeping.service" /etc/systemd/system/ztc-hq-housekeeping.service 0644
put_file "$SRC/systemd/ztc-hq-housekeeping.timer" /etc/systemd/system/ztc-hq-housekeeping.timer 0644
put_file "$SRC/systemd/tmpfiles.d/ztc-hq.conf" /etc/tmpfiles.d/ztc-hq.conf 0644
put_file "$SRC/systemd/journald.conf.d/ztc.conf" /etc/systemd/journald.conf.d/ztc.conf 0644

if [ -n "$BROKER" ]; then
  put_file "$SRC/config/mosquitto/ztc.conf" /etc/mosquitto/conf.d/ztc.conf 0644
  put_file "$SRC/config/mosquitto/ztc.acl" /etc/mosquitto/ztc/acl 0640
  put_file "$BROKER/ca.crt" /etc/mosquitto/ztc/ca.crt 0644
  put_file "$BROKER/server.crt" /etc/mosquitto/ztc/server.crt 0644
  put_file "$BROKER/server.key" /etc/mosquitto/ztc/server.key 0640
  put_file "$BROKER/passwd" /etc/mosquitto/ztc/passwd 0640
  # mosquitto reads these after dropping root for its own user.
  host chgrp mosquitto /etc/mosquitto/ztc/acl /etc/mosquitto/ztc/server.key /etc/mosquitto/ztc/passwd
fi

host "$PREFIX/venv/bin/python" -m compileall -q "$PREFIX/app" "$PREFIX/venv"
host systemd-tmpfiles --create /etc/tmpfiles.d/ztc-hq.conf
host systemctl daemon-reload
host systemctl restart systemd-journald
UNITS=(ztc-hq.service ztc-hq-report.timer ztc-hq-housekeeping.timer)
if [ -n "$BROKER" ]; then UNITS+=(mosquitto.service); fi
# mosquitto's own unit belongs to its package: enabled with systemctl, not with links of ours.
if [ -n "$DESTDIR" ]; then enable_units ztc-hq.service ztc-hq-report.timer ztc-hq-housekeeping.timer; [ -z "$BROKER" ] || host systemctl enable mosquitto.service
else host systemctl enable "${UNITS[@]}"; fi
if [ -z "$DESTDIR" ] && [ "$CHANGES" -gt 0 ]; then host systemctl try-restart "${UNITS[@]}"; fi
host systemctl start "${UNITS[@]}"
finish
