#!/usr/bin/env bash
# Create or update the two Python environments; quick when nothing changed.
#   .venv       Python 3.11  the application (gateway, action server, workers, tests)
#   .venv-rasa  Python 3.10  Rasa 3.6 only (it needs Python < 3.11 and pins old libraries)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .stamps

find_python() {  # find_python 3.11 -> path of a working interpreter of that version
  local version=$1 candidate root
  for candidate in "python$version" "/usr/bin/python$version" "/usr/local/bin/python$version"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root); else root="$HOME/.pyenv"; fi
  for candidate in "$root"/versions/"$version".*/bin/python"$version"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then echo "$candidate"; return 0; fi
  done
  return 1
}

missing_python() {
  cat >&2 <<MSG
Python $1 was not found on PATH or under pyenv ($HOME/.pyenv/versions).
Install it, then run this command again:
  with pyenv:   pyenv install $1        (https://github.com/pyenv/pyenv#installation)
  on Debian:    apt-get install python$1 python$1-venv   (where your release ships it)
  on Ubuntu:    add-apt-repository ppa:deadsnakes/ppa && apt-get install python$1 python$1-venv
MSG
  exit 1
}

stamp_ok() { [ -f ".stamps/$1" ] && [ "$(cat ".stamps/$1")" = "$2" ]; }

ensure_env() {  # ensure_env DIR PYTHON_VERSION REQUIREMENTS_FILE
  local dir=$1 version=$2 requirements=$3 python hash
  hash=$( (cat "$requirements"; echo "$version") | sha256sum | cut -c1-16)
  if [ -x "$dir/bin/python" ] && stamp_ok "${dir#.}" "$hash"; then return 0; fi
  python=$(find_python "$version") || missing_python "$version"
  if [ ! -x "$dir/bin/python" ]; then
    echo "==> creating $dir with $python"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade pip wheel setuptools
  fi
  echo "==> installing $requirements into $dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$hash" > ".stamps/${dir#.}"
}

ensure_env .venv 3.11 requirements.txt
ensure_env .venv-rasa 3.10 requirements-rasa.lock
