#!/bin/sh
# Install what Returns Station needs and is missing; safe to run again.
#   sh scripts/install.sh          the app: libzbar0 + the Python packages in .venv
#   sh scripts/install.sh --test   also what the tests need: Debian's chromium, fonts, pytest, playwright
# The Python packages go into the project's virtual environment .venv (made here with
# `python3 -m venv`), never into the system's Python; `python3 run.py` re-enters .venv itself.
set -eu
cd "$(dirname "$0")/.."
TEST=0
[ "${1:-}" = "--test" ] && TEST=1

PY=python3
command -v "$PY" >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 1; }
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
VENV=.venv

# a usable venv: its python starts, is a venv (not the base interpreter) and has pip
venv_ok() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' >/dev/null 2>&1 &&
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}
# can this python3 make a venv with pip? (Debian's needs the python3.X-venv package for ensurepip)
can_make_venv() { "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; }

# --- Debian packages, only those missing -----------------------------------------------
need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have_pkg libzbar0 || need="$need libzbar0"
if [ "$TEST" = 1 ]; then
  # Debian's own Chromium: the browser tests drive it through Playwright (no downloaded browser)
  [ -x /usr/bin/chromium ] || need="$need chromium"
  # fonts so Chinese, Arabic and Cyrillic names render in screenshots
  have_pkg fonts-noto-cjk || need="$need fonts-noto-cjk"
  have_pkg fonts-noto-core || need="$need fonts-noto-core"
fi
venv_pkg=""
venv_ok || can_make_venv || venv_pkg=yes
if [ -n "$need$venv_pkg" ]; then
  $SUDO apt-get update -qq
  if [ -n "$venv_pkg" ]; then
    # the venv package of this very interpreter (python3.11-venv for Debian's 3.11), else python3-venv;
    # at the interpreter's installed version when the archive has it: apt would otherwise upgrade
    # the system's Python along with it (the venv package requires its own version of it)
    ver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    pkg="python$ver-venv"
    if apt-cache show "$pkg" >/dev/null 2>&1; then
      have=$(dpkg-query -W -f='${Version}' "python$ver-minimal" 2>/dev/null || true)
      [ -n "$have" ] && apt-cache show "$pkg=$have" >/dev/null 2>&1 && pkg="$pkg=$have"
      need="$need $pkg"
    else
      need="$need python3-venv"
    fi
  fi
  echo "installing Debian packages:$need" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# --- the virtual environment -----------------------------------------------------------
if ! venv_ok; then
  # none yet, or broken (half made, its interpreter gone after an upgrade): make it anew
  [ -e "$VENV" ] && echo "rebuilding $VENV" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  venv_ok || { echo "$PY -m venv $VENV made no usable venv" >&2; exit 1; }
fi

# --- Python packages, into the venv ----------------------------------------------------
# pip in the venv reads the same configuration as the system's (/etc/pip.conf, /etc/xdg/pip,
# ~/.config/pip, PIP_* variables): a local index or mirror set there is used here too
target="."
[ "$TEST" = 1 ] && target=".[test]"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$target" 2>"$log" || { cat "$log" >&2; exit 1; }
