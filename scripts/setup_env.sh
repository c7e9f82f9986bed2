#!/usr/bin/env bash
# Make .venv hold what a requirements file pins: create it if missing, install only when the
# file changed since the last install (a stamp in .venv), quietly. Usage: setup_env.sh FILE
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:?usage: setup_env.sh requirements-file}"

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv ..."
  python3 -m venv .venv
fi

# The dev file includes requirements.txt (-r), so the stamp covers both files' contents.
want="$(cat "$req" requirements.txt | sha256sum | cut -d' ' -f1)"
stamp=".venv/.installed-$(basename "$req")"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing $req into .venv (first time or changed; this can take a few minutes) ..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
