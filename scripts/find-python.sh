#!/usr/bin/env sh
# Prints a Python 3.12+ interpreter (Django 6.1 needs 3.12). Looks on PATH, then in pyenv's versions.
for candidate in "${PYTHON:-}" python3.12 python3.13 python3 \
    "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3 "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3 \
    /root/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.13*/bin/python3; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys, sqlite3, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "dichvucong needs Python 3.12 or newer (Django 6.1); install python3.12 and retry" >&2
exit 1
