#!/usr/bin/env bash
# Installs what Autograd Explorer needs on a Debian/Ubuntu machine, into the
# project's own virtual environment .venv (Debian's and Ubuntu's system Python
# refuses `pip install` outside one: PEP 668).
#   bash scripts/install.sh          # the app: Graphviz, libseccomp, requirements.txt
#   bash scripts/install.sh --dev    # also Chromium, nginx and requirements-dev.txt
# System packages are installed only when missing (with sudo when not root).
# PYTHON=/path/to/python3.12 picks the interpreter; pip's own settings
# (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, pip.conf) choose where torch comes from.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=false
case "${1:-}" in
  "") ;;
  --dev) dev=true ;;
  *) echo "usage: bash scripts/install.sh [--dev]" >&2; exit 2 ;;
esac
venv=.venv

say() { echo "install: $*"; }

supported() {  # the interpreter $1 runs and is a Python this project supports
  "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null
}

pick_python() {
  local candidate
  for candidate in ${PYTHON:-} python3 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then
      command -v "$candidate"
      return
    fi
  done
  echo "install: no Python 3.11 or 3.12 found; install one (e.g. apt-get install python3.11) or set PYTHON=" >&2
  exit 1
}

venv_healthy() {
  [ -x "$venv/bin/python" ] && supported "$venv/bin/python" \
    && "$venv/bin/python" -m pip --version >/dev/null 2>&1
}

python=$(pick_python)
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
say "Python $version at $python"

# System packages: what is missing, in one apt-get call.
packages=()
if ! venv_healthy && ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=("python$version-venv")     # Debian ships venv's pip bootstrap separately
fi
command -v dot >/dev/null 2>&1 || packages+=(graphviz)
"$python" -c 'import ctypes.util, sys; sys.exit(ctypes.util.find_library("seccomp") is None)' \
  || packages+=(libseccomp2)           # the sandbox's system-call filter (pyseccomp loads it)
ubuntu=false
[ -r /etc/os-release ] && grep -q '^ID=ubuntu' /etc/os-release && ubuntu=true
if $dev; then
  # Ubuntu has Chromium only as a snap, which a container or CI cannot run:
  # there the browser tests use Playwright's own build, fetched after pip below.
  if ! $ubuntu && ! command -v chromium >/dev/null 2>&1; then
    packages+=(chromium chromium-driver)
  fi
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "install: as root, apt-get install ${packages[*]}; then run this again" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  say "system packages missing: ${packages[*]}"
  say "${sudo[*]:+${sudo[*]} }apt-get update"
  "${sudo[@]}" apt-get update -qq
  say "${sudo[*]:+${sudo[*]} }apt-get install ${packages[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
else
  say "system packages present"
fi

# The project's virtual environment: reused when it works, rebuilt when not.
if [ -e "$venv" ] && ! venv_healthy; then
  say "$venv is broken or not a Python 3.11/3.12 environment; recreating it"
  rm -rf "$venv"
fi
if [ ! -e "$venv" ]; then
  say "creating $venv with $python"
  "$python" -m venv "$venv"
else
  say "reusing $venv"
fi

requirements=requirements.txt
$dev && requirements=requirements-dev.txt
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
say "pip install -r $requirements"
"${pip[@]}" install --quiet -r "$requirements"
if $dev && $ubuntu && [ ! -x /usr/bin/chromium ]; then
  say "playwright install --with-deps chromium (Ubuntu has no Chromium package outside snap)"
  "$venv/bin/python" -m playwright install --with-deps chromium
fi
# The project itself, editable: `autograd-explorer` and `python -m graphs` run this checkout.
say "pip install --no-deps --editable ."
"${pip[@]}" install --quiet --no-deps --editable .
say "done: $venv/bin/python, $venv/bin/autograd-explorer"
