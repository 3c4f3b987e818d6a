# Sourced by .ci/image.sh and .ci/restore.sh: timed steps, a failure that names the
# script, and the URL of another database on DATABASE_URL's server.

started=$SECONDS
step() { printf '\n--> [%4ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() {
  printf '\n%s FAILED after %ss: %s\n' "$(basename "$0")" "$((SECONDS - started))" "$*" >&2
  exit 1
}

# DATABASE_URL with another database name: a scratch one, or `postgres` to create it.
with_database() {
  python3 - "$DATABASE_URL" "$1" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit

url = urlsplit(sys.argv[1])
print(urlunsplit(url._replace(path="/" + sys.argv[2])))
PY
}

# One statement on the server's maintenance database (ADMIN_URL), quietly.
admin_sql() { PGOPTIONS='--client-min-messages=warning' psql "$ADMIN_URL" -Xqc "$1" >/dev/null; }
