#!/usr/bin/env bash
# Installs the Debian packages ztc's run and tests need. Safe to run again: only what is missing
# is installed, and only when running as root (otherwise it names what to install and goes on).
set -euo pipefail
PKGS=(
  mosquitto mosquitto-clients          # MQTT broker used by the tests and the demo
  gpsd gpsd-clients                    # gpsd and gpsfake (replays NMEA through a real gpsd)
  cups cups-client cups-bsd printer-driver-cups-pdf  # cupsd with a PDF printer for the A4 queue
  cups-ipp-utils                       # ipptool: A4 job and printer states (media-empty, toner-low …)
  postgresql                           # headquarters on PostgreSQL: the tests start a private cluster (initdb, pg_ctl), backups (pg_dump)
  xvfb xauth                           # virtual screen for the Kivy kiosk
  libgl1 libgl1-mesa-dri libegl1       # OpenGL (llvmpipe) for Kivy under Xvfb
  fonts-noto-cjk                       # Chinese glyphs (Simplified face extracted at run time)
  espeak-ng                            # voice calling on the waiting-area display
  alsa-utils libmtdev1                 # aplay plays the announcement; mtdev for Kivy's touchscreen input
  socat sqlite3 python3-venv           # troubleshooting tools; venv for the virtualenv
  faketime                             # libfaketime: tests run the queue and the agent at a chosen instant
  systemd openssl                      # systemd-analyze verify/security of the units; fleet certificates
  chromium                             # headless browser for the headquarters dashboard tests
  poppler-utils                        # pdftotext/pdftoppm: the tests read the printed notices back
)
# npm installs Leaflet (the HQ map) at set-up; a node from elsewhere that brings npm is fine too.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ztc: missing Debian packages (run as root to install): ${missing[*]}" >&2
  exit 0
fi
echo "ztc: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
