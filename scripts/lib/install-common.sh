# Shared by install-bus.sh, install-hq.sh and uninstall.sh (sourced, not run).
#
# Every file is written only when its content or mode differs, so a second run changes nothing.
# With DESTDIR set, everything lands under DESTDIR (a staging root for packaging or tests) and the
# commands that would change the running host (useradd, chown, systemctl, udevadm, apt-get) are not
# run: they are recorded, one per line, in the shell script $DESTDIR/ztc-host-actions.sh, to run on the target.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
PREFIX=/opt/ztc
ZTC_USER=ztc
PYTHON=${ZTC_PYTHON:-/usr/bin/python3}
CHANGES=0
HOST_ACTIONS=()
# What the application copy holds (the Python packages, shipped config, docs the units point at).
APP_PARTS=(ztc ztc_cli kiosk drivers telemetry hq contract bench config setup.py pyproject.toml README.md ARCHITECTURE.md)

say() { printf 'ztc-install: %s\n' "$*"; }
die() { printf 'ztc-install: 错误 / error: %s\n' "$*" >&2; exit 1; }
changed() { CHANGES=$((CHANGES + 1)); say "changed: $*"; }

if [ -n "$DESTDIR" ]; then
  case $DESTDIR in /*) ;; *) DESTDIR=$(pwd)/$DESTDIR ;; esac
  [ "$DESTDIR" != "/" ] || DESTDIR=""
fi

# host CMD ARGS...: run on the host, or record it when staging into DESTDIR.
host() {
  if [ -n "$DESTDIR" ]; then
    HOST_ACTIONS+=("$*")
  else
    say "run: $*"
    "$@"
  fi
}

# host_sh 'shell line': the same, for a guarded command line (run with sh -c on the host).
host_sh() {
  if [ -n "$DESTDIR" ]; then HOST_ACTIONS+=("$1"); else say "run: $1"; sh -c "$1"; fi
}

# put_file SRC DEST MODE: install SRC as DEST (a target path) when content or mode differ.
put_file() {
  local src=$1 dest=$DESTDIR$2 mode=$3
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$src" "$dest"; then
    if [ "$(stat -c %a "$dest")" != "${mode#0}" ]; then chmod "$mode" "$dest"; changed "$2 (mode $mode)"; fi
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  install -m "$mode" "$src" "$dest"
  changed "$2"
}

# put_text DEST MODE < content
put_text() {
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  put_file "$tmp" "$1" "$2"
  rm -f "$tmp"
}

# put_once SRC DEST MODE: a file the administrator edits afterwards: installed only when missing.
put_once() {
  if [ -e "$DESTDIR$2" ]; then return 0; fi
  put_file "$1" "$2" "$3"
}

# put_link TARGET LINK
put_link() {
  local link=$DESTDIR$2
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$1" ]; then return 0; fi
  mkdir -p "$(dirname "$link")"
  ln -sfn "$1" "$link"
  changed "$2 -> $1"
}

remove_path() {
  local path=$DESTDIR$1
  if [ -e "$path" ] || [ -L "$path" ]; then rm -rf "$path"; changed "removed $1"; fi
}

# sync_app: copy the application source to $PREFIX/app; files gone from the source are removed.
sync_app() {
  local dest=$DESTDIR$PREFIX/app rel
  local -A wanted=()
  while IFS= read -r -d '' rel; do
    rel=${rel#./}
    wanted[$rel]=1
    local mode=644
    [ -x "$SRC/$rel" ] && mode=755
    put_file "$SRC/$rel" "$PREFIX/app/$rel" "$mode"
  done < <(cd "$SRC" && find "${APP_PARTS[@]}" \( -name __pycache__ -o -name '*.egg-info' -o -name build \) -prune \
             -o -type f ! -name '*.pyc' -print0 | sort -z)
  [ -d "$dest" ] || return 0
  while IFS= read -r -d '' rel; do
    rel=${rel#./}
    [ -n "${wanted[$rel]:-}" ] || { rm -f "$dest/$rel"; changed "removed $PREFIX/app/$rel"; }
  done < <(cd "$dest" && find . \( -name '*.egg-info' -o -name __pycache__ \) -prune -o -type f -print0)
}

# ensure_venv EXTRAS: $PREFIX/venv with ztc installed from $PREFIX/app (editable, so the shipped
# config/ beside the code is found) and its dependencies. Rebuilt only when what decides its content
# changed (setup.py, pyproject.toml, extras, pip arguments). ZTC_PIP_ARGS passes options to pip, e.g.
# "--no-index --find-links /media/usb/wheels" on a bus without a usable link.
ensure_venv() {
  local extras=$1 venv=$DESTDIR$PREFIX/venv stamp want
  want=$(cat "$SRC/setup.py" "$SRC/pyproject.toml" <(echo "$extras ${ZTC_PIP_ARGS:-}") | sha256sum | cut -d' ' -f1)
  stamp=$venv/.ztc-stamp
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/ztc" ]; then return 0; fi
  say "building the virtualenv $PREFIX/venv (this downloads the Python packages once)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  local req=$DESTDIR$PREFIX/app
  [ -z "$extras" ] || req="$req[$extras]"
  # shellcheck disable=SC2086  # ZTC_PIP_ARGS is a list of options
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-compile ${ZTC_PIP_ARGS:-} \
    --config-settings editable_mode=compat -e "$req"
  if [ -n "$DESTDIR" ]; then
    # The tree moves to / on the target: no staging path may stay in it (scripts' #! lines, the
    # editable .pth, pyvenv.cfg). Byte-code would carry it too: compile on the target instead.
    find "$venv" "$DESTDIR$PREFIX/app" -name __pycache__ -prune -exec rm -rf {} +
    grep -rlIF "$DESTDIR" "$venv" "$DESTDIR$PREFIX/app" | while IFS= read -r f; do
      sed -i "s#$DESTDIR##g" "$f"
    done
  fi
  echo "$want" > "$stamp"
  changed "$PREFIX/venv"
}

# ensure_user HOME GROUPS...: the ztc system user (home = data dir), in those device groups that
# exist on the machine (render and input do not everywhere).
ensure_user() {
  local home=$1; shift
  host_sh "id $ZTC_USER >/dev/null 2>&1 || useradd --system --user-group --home-dir $home --no-create-home --shell /usr/sbin/nologin $ZTC_USER"
  [ $# -gt 0 ] || return 0
  host_sh "for g in $*; do if getent group \$g >/dev/null && ! id -nG $ZTC_USER | grep -qw \$g; then usermod -a -G \$g $ZTC_USER; fi; done"
}

# ensure_packages PKG...: Debian packages the installed services need.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if [ -n "$DESTDIR" ] || ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] || host apt-get install -y --no-install-recommends "${missing[@]}"
}

# enable_units UNIT...: what `systemctl enable` does, as links in DESTDIR; systemctl on the host.
enable_units() {
  local unit target name
  for unit in "$@"; do
    if [ -n "$DESTDIR" ]; then
      name=${unit/@*./@.}  # ztc-kiosk@crew.service → ztc-kiosk@.service
      target=$(sed -n 's/^WantedBy=//p' "$DESTDIR/etc/systemd/system/$name" | head -n1)
      [ -n "$target" ] || die "$name has no WantedBy="
      put_link "/etc/systemd/system/$name" "/etc/systemd/system/$target.wants/$unit"
    fi
  done
  host systemctl enable "$@"
}

# finish: record (or run) the host actions; summary line.
finish() {
  if [ -n "$DESTDIR" ]; then
    printf '%s\n' '#!/bin/sh' "# Run on the target after copying this tree to / (written by $(basename "$0"))" 'set -e' \
      "${HOST_ACTIONS[@]}" | put_text /ztc-host-actions.sh 0755
  fi
  if [ "$CHANGES" -eq 0 ]; then say "nothing changed / 无变化"; else say "$CHANGES change(s)"; fi
}
