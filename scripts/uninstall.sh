#!/usr/bin/env bash
# Removes what install-bus.sh / install-hq.sh put on this machine: units (stopped and disabled
# first), udev rules, tmpfiles.d and journald settings, the broker configuration, /opt/ztc.
# Kept unless --purge: the data (/var/lib/ztc, /var/lib/ztc-hq: residents' records not yet at
# headquarters may be in there), /etc/ztc, /etc/mosquitto/ztc (the fleet's passwords) and the user.
# Safe to run again. Honours DESTDIR like the installers (host commands recorded, not run).
#
#   sudo scripts/uninstall.sh [--purge]
. "$(dirname "$0")/lib/install-common.sh"

PURGE=0
case ${1:-} in --purge) PURGE=1 ;; "") ;; *) die "usage: $0 [--purge]" ;; esac
if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then die "run as root, or set DESTDIR"; fi

UNITS=(ztc-agent.service ztc-session.service ztc-hq.service ztc-housekeeping.timer ztc-housekeeping.service
       ztc-hq-report.timer ztc-hq-report.service
       ztc-kiosk@resident.service ztc-kiosk@crew.service ztc-kiosk@display.service)
host_sh "systemctl disable --now ${UNITS[*]} 2>/dev/null || true"

for unit in ztc-agent.service ztc-session.service ztc-kiosk@.service ztc-hq.service \
            ztc-housekeeping.service ztc-housekeeping.timer ztc-hq-report.service ztc-hq-report.timer; do
  remove_path "/etc/systemd/system/$unit"
done
for link in multi-user.target.wants/ztc-agent.service multi-user.target.wants/ztc-session.service \
            multi-user.target.wants/ztc-hq.service timers.target.wants/ztc-housekeeping.timer \
            timers.target.wants/ztc-hq-report.timer ztc-session.service.wants; do
  remove_path "/etc/systemd/system/$link"
done
remove_path /etc/udev/rules.d/70-ztc-devices.rules
remove_path /etc/tmpfiles.d/ztc.conf
remove_path /etc/tmpfiles.d/ztc-hq.conf
remove_path /etc/systemd/journald.conf.d/ztc.conf
remove_path /etc/mosquitto/conf.d/ztc.conf
remove_path "$PREFIX"

if [ "$PURGE" -eq 1 ]; then
  remove_path /etc/ztc
  remove_path /etc/mosquitto/ztc
  remove_path /var/lib/ztc
  remove_path /var/lib/ztc-hq
  remove_path /var/cache/ztc
  host_sh "if id $ZTC_USER >/dev/null 2>&1; then userdel $ZTC_USER; fi"
else
  say "kept: /etc/ztc, /etc/mosquitto/ztc, /var/lib/ztc*, user $ZTC_USER (--purge removes them)"
fi

host systemctl daemon-reload
host udevadm control --reload
host_sh "systemctl try-restart mosquitto.service systemd-journald.service || true"
finish
