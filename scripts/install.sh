#!/bin/sh
# Install what Returns Station needs and is missing; safe to run again.
#   sh scripts/install.sh          the app: libzbar0 + Python packages
#   sh scripts/install.sh --test   also what the tests need: Debian's chromium, fonts, pytest, playwright
set -eu
cd "$(dirname "$0")/.."
TEST=0
[ "${1:-}" = "--test" ] && TEST=1

PY=python3
command -v "$PY" >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 1; }
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"

# --- Debian packages, only those missing -----------------------------------------------
need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have_pkg libzbar0 || need="$need libzbar0"
"$PY" -m pip --version >/dev/null 2>&1 || need="$need python3-pip"
if [ "$TEST" = 1 ]; then
  # Debian's own Chromium: the browser tests drive it through Playwright (no downloaded browser)
  [ -x /usr/bin/chromium ] || need="$need chromium"
  # fonts so Chinese, Arabic and Cyrillic names render in screenshots
  have_pkg fonts-noto-cjk || need="$need fonts-noto-cjk"
  have_pkg fonts-noto-core || need="$need fonts-noto-core"
fi
if [ -n "$need" ]; then
  echo "installing Debian packages:$need" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# --- Python packages -------------------------------------------------------------------
target="."
[ "$TEST" = 1 ] && target=".[test]"
pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
if ! pip_install -e "$target" 2>/tmp/returns-station-pip.log; then
  if grep -q externally-managed /tmp/returns-station-pip.log; then
    # Debian's system Python: install beside it (the station owns this machine's Python)
    pip_install --break-system-packages -e "$target"
  else
    cat /tmp/returns-station-pip.log >&2
    exit 1
  fi
fi
