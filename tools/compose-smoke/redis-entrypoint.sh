#!/bin/sh
# Stand-in for the official redis image: runs as the redis user in /data (switching to it when
# started as root, directly under compose's `user: redis`), protected mode off (the official
# build's default; the compose network is the boundary, requirepass the lock).
set -eu
if [ "$1" = redis-server ]; then
  shift
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
  fi
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
