#!/bin/sh
# Stand-in for the official redis image: runs as the redis user in /data, protected mode off
# (the official build's default; the compose network is the boundary).
set -eu
chown -R redis:redis /data
if [ "$1" = redis-server ]; then shift; exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"; fi
exec "$@"
