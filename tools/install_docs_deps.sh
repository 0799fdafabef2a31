#!/usr/bin/env bash
# What tools/build_site.py and tools/check_site.py need beyond the project's venv (nbdev, nbconvert):
#   Debian: chromium + chromium-driver (the browser check), npm (build_site fetches KaTeX by package name)
#   PyPI:   selenium (drives Chromium through the system chromedriver)
#   npm:    katex (+ @jupyter-widgets/html-manager), unpacked into ~/.cache/hidra_nb_docs ($HIDRA_DOCS_CACHE)
# Idempotent and quiet: installs only what is missing. Usage: bash tools/install_docs_deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

need=()
{ [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null; } || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

"$PY" -c 'import selenium' 2>/dev/null || "$PY" -m pip install -q 'selenium>=4.20,<5'

"$PY" tools/build_site.py --fetch-only >/dev/null
