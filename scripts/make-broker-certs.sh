#!/usr/bin/env bash
# Makes the credentials of a ztc fleet, with openssl and mosquitto_passwd, into one directory that
# stays on the headquarters server (it holds the CA key: back it up, never copy it to a bus).
#
#   make-broker-certs.sh DIR ca                          the certificate authority (once per fleet)
#   make-broker-certs.sh DIR server HOSTNAME [IP ...]    the broker's certificate for HOSTNAME/IPs
#   make-broker-certs.sh DIR bus BUS_ID HOST [PORT]      a bus: password + bundle DIR/buses/BUS_ID/
#   make-broker-certs.sh DIR hq [HOST] [PORT]            headquarters' own broker user (ztc.hq)
#
# Files: DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key, DIR/passwd (mosquitto password
# file: every bus and ztc.hq). A bus bundle holds ca.crt and bus.yaml (its mqtt settings with the
# password), ready for `ZTC_BUS_BUNDLE=DIR/buses/BUS_ID scripts/install-bus.sh`.
# Safe to run again: what exists is kept; `--force` as last argument replaces a server certificate
# or a bus's password (after a leak). The CA is never replaced: delete it by hand to start over.
set -euo pipefail
umask 077

say() { printf 'make-broker-certs: %s\n' "$*"; }
die() { printf 'make-broker-certs: 错误 / error: %s\n' "$*" >&2; exit 2; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
DIR=$1; ACTION=$2; shift 2
FORCE=0
if [ $# -gt 0 ] && [ "${!#}" = "--force" ]; then FORCE=1; set -- "${@:1:$(($# - 1))}"; fi
HQ_USER=ztc.hq
DAYS_CA=3650
DAYS_SERVER=1825
command -v openssl >/dev/null || die "openssl is not installed"
mkdir -p "$DIR"

need_ca() { [ -s "$DIR/ca.crt" ] && [ -s "$DIR/ca.key" ] || die "no CA in $DIR: run '$0 $DIR ca' first"; }

make_ca() {
  if [ -s "$DIR/ca.crt" ]; then say "CA exists, kept: $DIR/ca.crt"; return; fi
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -days "$DAYS_CA" -subj "/O=ztc/CN=ztc fleet CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
  chmod 600 "$DIR/ca.key"; chmod 644 "$DIR/ca.crt"
  say "CA made: $DIR/ca.crt (key $DIR/ca.key: keep it secret)"
}

make_server() {
  local host=${1:-}; [ -n "$host" ] || die "server needs the broker's host name (what buses put in mqtt.host)"
  shift
  need_ca
  if [ -s "$DIR/server.crt" ] && [ "$FORCE" -eq 0 ]; then say "server certificate exists, kept (--force replaces it)"; return; fi
  local san="DNS:$host" ip
  for ip in "$@"; do san="$san,IP:$ip"; done
  if [[ $host =~ ^[0-9.]+$ ]]; then san="$san,IP:$host"; fi
  local csr ext; csr=$(mktemp); ext=$(mktemp)
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
    "$san" > "$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -subj "/O=ztc/CN=$host" -keyout "$DIR/server.key" -out "$csr" 2>/dev/null
  openssl x509 -req -in "$csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -sha256 \
    -days "$DAYS_SERVER" -extfile "$ext" -out "$DIR/server.crt" 2>/dev/null
  rm -f "$csr" "$ext"
  chmod 600 "$DIR/server.key"; chmod 644 "$DIR/server.crt"
  say "server certificate made for $san: $DIR/server.crt"
}

new_password() { openssl rand -base64 33 | tr -d '/+=\n' | cut -c1-32; }

# set_password USER: (re)write USER's entry in DIR/passwd; prints the new password.
set_password() {
  command -v mosquitto_passwd >/dev/null || die "mosquitto_passwd is not installed (Debian package mosquitto)"
  local user=$1 pw; pw=$(new_password)
  [ -f "$DIR/passwd" ] || : > "$DIR/passwd"
  mosquitto_passwd -b "$DIR/passwd" "$user" "$pw" >/dev/null
  chmod 600 "$DIR/passwd"
  printf '%s' "$pw"
}

has_user() { [ -f "$DIR/passwd" ] && grep -q "^$1:" "$DIR/passwd"; }

# write_mqtt_yaml FILE HOST PORT USER PASSWORD TLS CA_FILE [BUS_ID]
write_mqtt_yaml() {
  local file=$1 host=$2 port=$3 user=$4 pw=$5 tls=$6 ca=$7 bus=${8:-}
  {
    echo "# ztc settings made by make-broker-certs.sh: the broker connection (contains a password: keep mode 0640 root:ztc)."
    if [ -n "$bus" ]; then printf 'bus:\n  id: %s\n' "$bus"; fi
    printf 'mqtt:\n  host: %s\n  port: %s\n  tls: %s\n  ca_file: %s\n  username: %s\n  password: "%s"\n' \
      "$host" "$port" "$tls" "$ca" "$user" "$pw"
  } > "$file"
  chmod 600 "$file"
}

make_bus() {
  local bus=${1:-} host=${2:-} port=${3:-8883}
  [[ $bus =~ ^[a-z0-9-]{1,32}$ ]] || die "bus id must match [a-z0-9-]{1,32} (PROTOCOL.md), got '${bus}'"
  [ -n "$host" ] || die "bus needs the broker host name buses connect to (the server certificate's name)"
  need_ca
  local out="$DIR/buses/$bus"
  if has_user "$bus" && [ -s "$out/bus.yaml" ] && [ "$FORCE" -eq 0 ]; then
    say "bus $bus exists, kept: $out (--force makes a new password)"; return
  fi
  mkdir -p "$out"
  local pw; pw=$(set_password "$bus")
  install -m 644 "$DIR/ca.crt" "$out/ca.crt"
  write_mqtt_yaml "$out/bus.yaml" "$host" "$port" "$bus" "$pw" true /etc/ztc/ca.crt "$bus"
  say "bus $bus: password set in $DIR/passwd; bundle $out (copy it to the bus, then install-bus.sh)"
  say "reload the broker to apply: systemctl reload mosquitto"
}

make_hq() {
  local host=${1:-127.0.0.1} port=${2:-1883}
  if has_user "$HQ_USER" && [ -s "$DIR/hq/hq.yaml" ] && [ "$FORCE" -eq 0 ]; then
    say "headquarters user exists, kept: $DIR/hq/hq.yaml"; return
  fi
  mkdir -p "$DIR/hq"
  local pw; pw=$(set_password "$HQ_USER")
  write_mqtt_yaml "$DIR/hq/hq.yaml" "$host" "$port" "$HQ_USER" "$pw" false null
  say "headquarters user $HQ_USER: $DIR/hq/hq.yaml (install-hq.sh puts it into /etc/ztc/hq.yaml)"
}

case $ACTION in
  ca) make_ca ;;
  server) make_server "$@" ;;
  bus) make_bus "$@" ;;
  hq) make_hq "$@" ;;
  *) usage ;;
esac
