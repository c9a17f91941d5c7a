#!/bin/sh
# Stand-in for the official nginx image's /docker-entrypoint.sh: runs the executable
# /docker-entrypoint.d/*.sh hooks in order, then the command.
set -eu
if [ "$1" = nginx ]; then
  for hook in /docker-entrypoint.d/*.sh; do
    [ -f "$hook" ] || continue
    if [ -x "$hook" ]; then echo "$0: running $hook"; "$hook"; else echo "$0: ignoring $hook, not executable"; fi
  done
fi
exec "$@"
