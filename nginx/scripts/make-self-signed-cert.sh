#!/bin/sh
# Makes a self-signed TLS pair (tls.crt, tls.key) for LOCAL use, unless one is already there.
#   on the host:   nginx/scripts/make-self-signed-cert.sh [dir] [hostname]   (default ./nginx/certs)
#   in compose:    mounted as /docker-entrypoint.d/40-self-signed-cert.sh, so the nginx image's
#                  entrypoint fills the empty `nginx-certs` volume on first start.
# Put a real certificate (tls.crt = full chain, tls.key) in that volume/directory for production;
# this script never overwrites an existing pair.
set -eu

if [ -d /docker-entrypoint.d ] && [ $# -eq 0 ]; then dir=/etc/nginx/certs; else dir=${1:-./nginx/certs}; fi
host=${2:-${TLS_HOSTNAME:-localhost}}

if [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ]; then
  echo "tls: using the existing certificate in $dir"
  exit 0
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "tls: openssl is not installed; put tls.crt and tls.key in $dir yourself" >&2
  exit 1
fi

mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 \
  -subj "/CN=$host" \
  -addext "subjectAltName=DNS:$host$([ "$host" = localhost ] || echo ,DNS:localhost),IP:127.0.0.1,IP:::1" \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
chmod 644 "$dir/tls.crt"
echo "tls: made a self-signed certificate for $host in $dir (local use only)"
