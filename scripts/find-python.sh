#!/bin/sh
# Prints the path of a Python interpreter >= 3.12, or explains what to install.
# Order: $PYTHON, pythons on the PATH, then pyenv / uv / asdf installs that are not on the PATH.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
for c in "${PYTHON:-}" python3.14 python3.13 python3.12 python3; do
  [ -n "$c" ] || continue
  p=$(command -v "$c" 2>/dev/null) || continue
  if ok "$p"; then echo "$p"; exit 0; fi
done
roots="${PYENV_ROOT:-$HOME/.pyenv}/versions $HOME/.local/share/uv/python $HOME/.asdf/installs/python /usr/local/bin /opt/python"
if command -v pyenv >/dev/null 2>&1; then roots="$(pyenv root)/versions $roots"; fi
for r in $roots; do
  for p in $(ls -d "$r"/*/bin/python3 "$r"/python3.1[2-9] 2>/dev/null | sort -rV); do
    if ok "$p"; then echo "$p"; exit 0; fi
  done
done
echo "ReProduce needs Python 3.12 or newer, and none was found." >&2
echo "Install one (Debian/Ubuntu: 'apt install python3.12 python3.12-venv'; or 'pyenv install 3.12'; or 'uv python install 3.12')," >&2
echo "or point to it with: make PYTHON=/path/to/python3.12 demo" >&2
exit 1
