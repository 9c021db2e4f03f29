#!/usr/bin/env bash
# Installs the system pieces the test suite talks to: Debian chromium (browser tests, report PDFs), poppler-utils
# (pdftoppm checks the PDFs), PostgreSQL's
# pgvector extension (built from Debian's source package: bookworm has no binary package), and starts
# PostgreSQL and Redis when they are not running. Idempotent; safe to run on every CI run.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }
apt_updated=0
apt_update_once() { [ "$apt_updated" = 1 ] || { apt-get update -qq; apt_updated=1; }; }
need_pkgs=()
for pkg in chromium fonts-wqy-microhei poppler-utils dpkg-dev postgresql-server-dev-15 espeak-ng make g++; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "apt-get install ${need_pkgs[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

pg_major=$(ls /etc/postgresql | sort -n | tail -1)
pg_config=/usr/lib/postgresql/$pg_major/bin/pg_config
if [ ! -f "$($pg_config --sharedir)/extension/vector.control" ]; then
  log "building pgvector for PostgreSQL $pg_major from Debian's source package"
  # Mirror and key come from the machine's own apt configuration (first stanza of debian.sources).
  src=/etc/apt/sources.list.d/debian.sources
  uris=$(awk '/^URIs:/{print $2; exit}' "$src")
  signed=$(awk '/^Signed-By:/{print $2; exit}' "$src")
  extra=/etc/apt/sources.list.d/minsheng-trixie-src.sources
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uris" "$signed" > "$extra"
  trap 'rm -f "$extra"' EXIT
  apt-get update -qq
  work=$(mktemp -d)
  (cd "$work" && apt-get source -qq pgvector >/dev/null 2>&1 && cd pgvector-*/ \
     && make -s PG_CONFIG="$pg_config" >/dev/null && make -s PG_CONFIG="$pg_config" install >/dev/null)
  rm -rf "$work" "$extra"
  apt-get update -qq
  log "pgvector installed"
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$pg_major" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli ping >/dev/null 2>&1 && break; sleep 1; done
fi
log "system ready: $(chromium --version 2>/dev/null | head -1); PostgreSQL $pg_major with pgvector; Redis $(redis-cli info server | awk -F: '/redis_version/{print $2}' | tr -d '\r')"
