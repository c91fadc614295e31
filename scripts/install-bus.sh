#!/usr/bin/env bash
# Installs ztc on a bus computer (Debian): /opt/ztc (application + virtualenv), the ztc user, the
# units (agent, display session, kiosk roles), udev rules, tmpfiles.d, journald settings; enabled.
# Time: chrony disciplines the clock from gpsd's shared memory (config/chrony, config/gpsd).
# Safe to run again: only what differs is rewritten; /etc/ztc/bus.yaml and /etc/ztc/weston.ini are
# yours once installed (a bundle from make-broker-certs.sh replaces bus.yaml on purpose).
#
#   sudo scripts/install-bus.sh
#   sudo ZTC_BUS_BUNDLE=/media/usb/yiyuan-01 scripts/install-bus.sh     (broker credentials)
#   DESTDIR=/tmp/stage scripts/install-bus.sh                            (staging root, no root needed)
#
# Environment: ZTC_BUS_BUNDLE (dir with ca.crt + bus.yaml), ZTC_KIOSK_ROLES (default
# "resident crew display"), ZTC_TICKET_PRINTER_USB / ZTC_GPS_USB (vvvv:pppp from lsusb),
# ZTC_TOUCH_OUTPUT (default DSI-1), ZTC_PIP_ARGS (extra pip options), ZTC_PYTHON.
. "$(dirname "$0")/lib/install-common.sh"

ROLES=${ZTC_KIOSK_ROLES:-resident crew display}
TICKET_USB=${ZTC_TICKET_PRINTER_USB:-0416:5011}
GPS_USB=${ZTC_GPS_USB:-1546:01a7}
TOUCH_OUTPUT=${ZTC_TOUCH_OUTPUT:-DSI-1}
for role in $ROLES; do
  case $role in resident | crew | display) ;; *) die "unknown kiosk role '$role' (resident, crew, display)" ;; esac
done
for id in "$TICKET_USB" "$GPS_USB"; do
  [[ $id =~ ^[0-9a-f]{4}:[0-9a-f]{4}$ ]] || die "USB id must be vvvv:pppp in lower-case hex (as lsusb shows it), got '$id'"
done
[[ $TOUCH_OUTPUT =~ ^[A-Za-z0-9-]+$ ]] || die "ZTC_TOUCH_OUTPUT must be an output name like DSI-1, got '$TOUCH_OUTPUT'"
if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then die "run as root, or set DESTDIR to stage into a directory"; fi

ensure_packages weston seatd gpsd cups chrony fake-hwclock
ensure_user /var/lib/ztc dialout video render input lp

sync_app
ensure_venv kiosk

# Configuration: /etc/ztc, readable by the ztc user only (it holds the broker password).
put_text /etc/ztc/README 0644 <<'TXT'
ztc site configuration (README.md, "Deployment"): bus.yaml overrides the shipped defaults in
/opt/ztc/app/config; `sudo -u ztc /opt/ztc/venv/bin/ztc --config /etc/ztc/bus.yaml config check`
shows the result. weston.ini maps the kiosk roles to the screens.
TXT
if [ -n "${ZTC_BUS_BUNDLE:-}" ]; then
  [ -s "$ZTC_BUS_BUNDLE/bus.yaml" ] && [ -s "$ZTC_BUS_BUNDLE/ca.crt" ] \
    || die "ZTC_BUS_BUNDLE=$ZTC_BUS_BUNDLE has no bus.yaml + ca.crt (make-broker-certs.sh DIR bus ...)"
  put_file "$ZTC_BUS_BUNDLE/ca.crt" /etc/ztc/ca.crt 0644
  put_file "$ZTC_BUS_BUNDLE/bus.yaml" /etc/ztc/bus.yaml 0640
else
  put_once /dev/stdin /etc/ztc/bus.yaml 0640 <<'TXT'
# Settings of this bus over the shipped defaults (/opt/ztc/app/config/*.yaml). Replace this file
# with the bundle of make-broker-certs.sh (ZTC_BUS_BUNDLE) to connect to headquarters over TLS.
mqtt:
  host: 127.0.0.1
  port: 1883
  tls: false
TXT
fi
put_once "$SRC/systemd/weston.ini" /etc/ztc/weston.ini 0644
host chown root:"$ZTC_USER" /etc/ztc /etc/ztc/bus.yaml
host chmod 0750 /etc/ztc

# systemd: units, data directory, journald.
for unit in ztc-agent.service ztc-session.service ztc-kiosk@.service ztc-housekeeping.service ztc-housekeeping.timer; do
  put_file "$SRC/systemd/$unit" "/etc/systemd/system/$unit" 0644
done
put_file "$SRC/systemd/tmpfiles.d/ztc.conf" /etc/tmpfiles.d/ztc.conf 0644
put_file "$SRC/systemd/journald.conf.d/ztc.conf" /etc/systemd/journald.conf.d/ztc.conf 0644

# Time from the GPS receiver: gpsd reads it from boot (-n) into shared memory, chrony steps the clock
# from it. Nothing of ztc waits for this (README, "Time on the bus").
put_file "$SRC/config/gpsd/gpsd.default" /etc/default/gpsd 0644
put_file "$SRC/config/chrony/chrony.conf" /etc/chrony/chrony.conf 0644

# udev: the template with this bus's device ids.
sed -e "s/@TICKET_VID@/${TICKET_USB%%:*}/g" -e "s/@TICKET_PID@/${TICKET_USB##*:}/g" \
    -e "s/@GPS_VID@/${GPS_USB%%:*}/g" -e "s/@GPS_PID@/${GPS_USB##*:}/g" \
    -e "s/@TOUCH_OUTPUT@/$TOUCH_OUTPUT/g" "$SRC/config/udev/70-ztc-devices.rules.in" \
  | put_text /etc/udev/rules.d/70-ztc-devices.rules 0644

UNITS=(ztc-agent.service ztc-session.service ztc-housekeeping.timer)
for role in $ROLES; do UNITS+=("ztc-kiosk@$role.service"); done

host "$PREFIX/venv/bin/python" -m compileall -q "$PREFIX/app" "$PREFIX/venv"
host systemd-tmpfiles --create /etc/tmpfiles.d/ztc.conf
host udevadm control --reload
host udevadm trigger --subsystem-match=usb --subsystem-match=tty --subsystem-match=video4linux --subsystem-match=input
host systemctl daemon-reload
host systemctl restart systemd-journald
enable_units "${UNITS[@]}"
host systemctl enable gpsd.service chrony.service  # fake-hwclock enables itself when installed
for role in resident crew display; do  # a role dropped from ZTC_KIOSK_ROLES is disabled
  case " $ROLES " in *" $role "*) ;; *)
    remove_path "/etc/systemd/system/ztc-session.service.wants/ztc-kiosk@$role.service"
    host systemctl disable --now "ztc-kiosk@$role.service" ;;
  esac
done
if [ -z "$DESTDIR" ] && [ "$CHANGES" -gt 0 ]; then host systemctl try-restart "${UNITS[@]}" gpsd.service chrony.service; fi
host systemctl start "${UNITS[@]}"
finish
