#!/usr/bin/env bash
# CI: a backup and a tested restore, as docs/deploy.md tells operators to take them.
#
# A fresh database is migrated and seeded with the demo portfolio (every app's tables
# get rows, history included), dumped with `pg_dump --format=custom`, restored with
# `pg_restore` into a second fresh database, and the two compared: the same tables with
# the same row counts, the same sequence positions (new rows after a restore must not
# collide with restored ones), no migration left to apply, and a demo password that
# still signs in. Both databases are dropped at the end, whatever happens.
#
# Needs DATABASE_URL (its server is used, never its database) and pg_dump/pg_restore of
# the server's major version. Runs the app from .venv (`make install`).
set -euo pipefail
cd "$(dirname "$0")/.."

RESTORE_DATABASE=${RESTORE_DATABASE:-runway_restore}
SOURCE_DB=${RESTORE_DATABASE}_source
TARGET_DB=${RESTORE_DATABASE}_target
PYTHON=${PYTHON:-.venv/bin/python}
DUMP=var/restore/runway.dump
# Fixed, so the seed is the same on every run (seed_demo generates one otherwise).
DEMO_PASSWORD=restore-check-2f9c41d7

# step, fail, with_database, admin_sql
source .ci/lib.sh
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL server to use}"
# Both are dropped and re-created here, so neither can be the app's own database.
[[ $RESTORE_DATABASE =~ ^runway_restore[a-z0-9_]*$ ]] ||
  fail "RESTORE_DATABASE must start with runway_restore (it is dropped), not '$RESTORE_DATABASE'"
[ -x "$PYTHON" ] || fail "no $PYTHON: run make install first"
mkdir -p "$(dirname "$DUMP")"

ADMIN_URL=$(with_database postgres)
SOURCE_URL=$(with_database "$SOURCE_DB")
TARGET_URL=$(with_database "$TARGET_DB")

drop() { admin_sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }
cleanup() {
  status=$?
  drop "$SOURCE_DB" 2>/dev/null || echo "warning: could not drop $SOURCE_DB" >&2
  drop "$TARGET_DB" 2>/dev/null || echo "warning: could not drop $TARGET_DB" >&2
  exit "$status"
}
trap cleanup EXIT

# manage.py against one of the two databases, with nothing else from the caller's
# environment: development settings, a local-memory cache and an in-memory broker, so
# the seed leaves no task in any Redis.
manage() {
  local url=$1
  shift
  env -u CACHE_URL RUNWAY_ENV=development DATABASE_URL="$url" CELERY_BROKER_URL=memory:// \
    RUNWAY_DEMO_PASSWORD="$DEMO_PASSWORD" "$PYTHON" manage.py "$@"
}

# Every table's exact row count, then every sequence's position; one line each, sorted.
snapshot() {
  psql "$1" -X -At -F ' ' -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'table ' || table_schema || '.' || table_name,
       (xpath('/row/c/text()', query_to_xml(
           format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name),
           false, true, '')))[1]::text
FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1;
SELECT 'sequence ' || schemaname || '.' || sequencename, coalesce(last_value, 0)
FROM pg_sequences
ORDER BY 1;
SQL
}

step "Client and server versions"
server=$(psql "$ADMIN_URL" -XAtc 'SHOW server_version_num')
client=$(pg_dump --version | grep -oE '[0-9]+' | head -1)
echo "server $((server / 10000)), pg_dump $client"
[ "$client" -ge "$((server / 10000))" ] || fail "pg_dump $client cannot dump a PostgreSQL $((server / 10000)) server"

step "A fresh database ($SOURCE_DB): migrate, then seed_demo"
drop "$SOURCE_DB"
drop "$TARGET_DB"
admin_sql "CREATE DATABASE $SOURCE_DB" || fail "could not create $SOURCE_DB"
manage "$SOURCE_URL" migrate --noinput -v0 || fail "migrate failed on $SOURCE_DB"
manage "$SOURCE_URL" seed_demo >var/restore/seed.log 2>&1 || {
  tail -20 var/restore/seed.log >&2
  fail "seed_demo failed (log: var/restore/seed.log)"
}

step "Backup: pg_dump --format=custom"
pg_dump --format=custom --file="$DUMP" "$SOURCE_URL" || fail "pg_dump failed"
echo "$DUMP: $(du -h "$DUMP" | cut -f1), $(pg_restore --list "$DUMP" | grep -c ' TABLE DATA ') tables of data"

step "Restore: pg_restore into a fresh database ($TARGET_DB)"
admin_sql "CREATE DATABASE $TARGET_DB" || fail "could not create $TARGET_DB"
pg_restore --exit-on-error --no-owner --jobs=2 --dbname="$TARGET_URL" "$DUMP" ||
  fail "pg_restore failed"

step "Compare: tables, row counts and sequences"
snapshot "$SOURCE_URL" >var/restore/source.txt
snapshot "$TARGET_URL" >var/restore/target.txt
tables=$(grep -c '^table ' var/restore/source.txt)
rows=$(awk '$1 == "table" { sum += $3 } END { print sum + 0 }' var/restore/source.txt)
[ "$tables" -ge 50 ] || fail "only $tables tables in the seeded database: did migrate run?"
for table in portal_user projects_project projects_checklistitem metrics_metricsample; do
  grep -qE "^table public\.$table [1-9]" var/restore/source.txt ||
    fail "the seed left $table empty: the comparison would prove little"
done
if ! diff -u var/restore/source.txt var/restore/target.txt; then
  fail "the restored database differs from the one dumped (above: - dumped, + restored)"
fi
echo "$tables tables, $rows rows and $(grep -c '^sequence ' var/restore/source.txt) sequences match"

step "The restored database serves the app"
manage "$TARGET_URL" migrate --check -v0 || fail "the restored database has migrations left to apply"
manage "$TARGET_URL" shell --no-imports -c "
from portal.models import User
user = User.objects.get(email='admin@runway.example')
assert user.check_password('$DEMO_PASSWORD'), 'the demo password does not sign in'
print('admin@runway.example signs in with the seeded password')
" || fail "the restored database does not sign the demo admin in"

step "Backup restored and checked in $((SECONDS - started)) s"
