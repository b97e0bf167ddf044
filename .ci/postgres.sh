#!/usr/bin/env bash
# Starts a real PostgreSQL server on 127.0.0.1 for the JDBC source tests (Debian's postgresql),
# installing it when missing, and prints the environment the tests read:
#   LAKEOPS_PG_URL, LAKEOPS_PG_USER, LAKEOPS_PG_PASSWORD
# Usage: eval "$(.ci/postgres.sh)"    (needs root, as on CI and the developers' machines)
set -euo pipefail
{
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [[ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    pg_createcluster "$version" main >/dev/null
  fi
  # Loopback only.
  sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "/etc/postgresql/$version/main/postgresql.conf"
  pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
  port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
  for _ in $(seq 1 30); do
    su postgres -c "psql -p $port -tAc 'SELECT 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakeops') THEN
    CREATE ROLE lakeops LOGIN PASSWORD 'lakeops-ci';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE lakeops OWNER lakeops' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'lakeops')\gexec
SQL
} >&2
echo "export LAKEOPS_PG_URL=jdbc:postgresql://127.0.0.1:${port}/lakeops"
echo "export LAKEOPS_PG_USER=lakeops"
echo "export LAKEOPS_PG_PASSWORD=lakeops-ci"
