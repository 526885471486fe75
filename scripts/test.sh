#!/usr/bin/env bash
# Install what the tests need and run them: the README's test command, and what .ci/run calls.
#
# The virtual environment (torch + torchvision are ~5 GB) lives outside the clone, under
# ~/.cache, keyed by the dependency list, and is reused; a fresh machine builds it from nothing.
# The project itself is re-installed (editable, no deps, seconds) on every run so the venv
# always points at *this* clone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Debian packages the tests use (chromium for rendered reports, bubblewrap for the sandbox, ...)
if [ -s scripts/apt-packages.txt ]; then
  missing=()
  while read -r pkg; do
    [ -z "$pkg" ] || [ "${pkg:0:1}" = "#" ] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < scripts/apt-packages.txt
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "note: not root, cannot apt-get install ${missing[*]}; tests that need them will skip" >&2
    fi
  fi
fi

key=$( { sed -n '/^dependencies = \[/,/^\]/p;/^test = /p' pyproject.toml; python3 --version; } | sha256sum | cut -c1-16)
venv="${GRADER_VENV:-$HOME/.cache/grader-ci/venv-$key}"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip "setuptools>=68" wheel
  # the dependencies only: the project is installed below, from this clone
  deps=$("$venv/bin/python" -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(d["dependencies"] + d["optional-dependencies"]["test"]))')
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q $deps
  touch "$venv/.complete"
fi
log=$(mktemp)
if ! "$venv/bin/pip" install -q --no-deps --no-build-isolation -e . >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
rm -f "$log"

export PATH="$venv/bin:$PATH"
set +e
python -m pytest "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$code"
