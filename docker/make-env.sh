#!/bin/sh
# Writes docker/.env for compose.yaml with random credentials: PostgreSQL's password, MinIO's root
# account, the hub's own MinIO user and the hub's first admin password. The file is created with mode
# 0600 and never overwritten (delete it first to start over: the passwords already in the volumes
# would then no longer match, so `docker compose down -v` too). Never commit it (.gitignore has it).
# Usage: sh docker/make-env.sh [file]   (default: .env beside this script)
set -eu

file="${1:-$(dirname "$0")/.env}"

if [ -e "$file" ]; then
  echo "make-env: $file already exists; not overwriting it (delete it first to make new credentials)" >&2
  exit 1
fi

# N random bytes as hex: URL-safe, so the PostgreSQL password goes into DATABASE_URL as it is.
random_hex() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex "$1"
  else
    od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n'
  fi
}

umask 077
tmp="$file.partial.$$"
trap 'rm -f "$tmp"' EXIT INT TERM
{
  echo "# Made by docker/make-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Secrets: never commit this file."
  echo "POSTGRES_PASSWORD=$(random_hex 24)"
  echo "MINIO_ROOT_USER=gic-root-$(random_hex 6)"
  echo "MINIO_ROOT_PASSWORD=$(random_hex 24)"
  echo "GIC_S3_ACCESS_KEY_ID=gic-hub-$(random_hex 6)"
  echo "GIC_S3_SECRET_ACCESS_KEY=$(random_hex 24)"
  echo "# The portal's first admin account (user admin); used only when the hub's database is new."
  echo "GIC_ADMIN_PASSWORD=$(random_hex 12)"
  echo "# Loopback unless set: the address the hub (8080, 1883) and MinIO's S3 port (9000) are published"
  echo "# on, e.g. this host's LAN address for edge boxes on other machines (see docker/README.md)."
  echo "#GIC_PUBLISH_ADDRESS=0.0.0.0"
  echo "#S3_PUBLIC_ENDPOINT=http://hub.clinic.example:9000"
  echo "#GIC_HUB_PUBLIC_URL=http://hub.clinic.example:8080"
  echo "#GIC_MQTT_PUBLIC_URL=mqtt://hub.clinic.example:1883"
} >"$tmp"
# ln fails when $file appeared meanwhile, so an existing file is never replaced.
if ! ln "$tmp" "$file" 2>/dev/null; then
  echo "make-env: could not create $file (it exists, or its folder is not writable)" >&2
  exit 1
fi
chmod 600 "$file"
echo "make-env: wrote $file (mode 0600). The portal's admin password is GIC_ADMIN_PASSWORD in it."
