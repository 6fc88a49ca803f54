#!/usr/bin/env bash
# Installs what Autograd Explorer needs on a fresh Debian/Ubuntu machine.
#   bash scripts/install.sh          # the app: Graphviz + requirements.txt
#   bash scripts/install.sh --dev    # also Chromium for browser tests + requirements-dev.txt
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v dot >/dev/null 2>&1 || packages+=(graphviz)
if [ "${1:-}" = "--dev" ]; then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing system packages: ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
fi

requirements=requirements.txt
[ "${1:-}" = "--dev" ] && requirements=requirements-dev.txt
python3 -m pip install --quiet --disable-pip-version-check -r "$requirements"
