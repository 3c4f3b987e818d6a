#!/usr/bin/env bash
# CI: build Runway's image from Debian packages and run what it ships.
#
# No base image can be pulled and `podman run` fails on these machines
# (../shared/services.md, "Container builds"), so this script debootstraps a Debian 12
# minbase, builds the Containerfile on it with BASE overridden, mounts the image's file
# system and runs, as the image's own user through chroot (which shares the host's
# network): check --deploy with production settings, migrate against a fresh
# database, a tiny PDF through WeasyPrint, then gunicorn through the entry point,
# answering /healthz, the login page, a static file and /metrics on a free loopback port.
#
# Needs DATABASE_URL (its server is used; the database is replaced by a fresh
# $IMAGE_DATABASE, created and dropped here), CACHE_URL and CELERY_BROKER_URL (Redis).
# IMAGE_FRESH_BASE=1 rebuilds the base even if an earlier run left one.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/runway:ci}
BASE_IMAGE=localhost/bookworm-base:latest
IMAGE_DATABASE=${IMAGE_DATABASE:-runway_img}
LOG_DIR=var/image

# step, fail, with_database, admin_sql
source .ci/lib.sh
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL server to use}"
: "${CACHE_URL:?CACHE_URL must name a Redis database}"
: "${CELERY_BROKER_URL:?CELERY_BROKER_URL must name a Redis database}"
[ "$(id -u)" -eq 0 ] || fail "run as root (podman image mount and chroot need it)"
# Dropped and re-created here, so it can never be the app's own database.
[[ $IMAGE_DATABASE =~ ^runway_img[a-z0-9_]*$ ]] ||
  fail "IMAGE_DATABASE must start with runway_img (it is dropped), not '$IMAGE_DATABASE'"
mkdir -p "$LOG_DIR"

ADMIN_URL=$(with_database postgres)
IMAGE_DATABASE_URL=$(with_database "$IMAGE_DATABASE")

# Status of a GET on loopback; the body goes to $2. Extra arguments are headers.
http_get() {
  python3 - "$@" <<'PY'
import sys
import urllib.error
import urllib.request


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


url, body_file, *headers = sys.argv[1:]
request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
try:
    with urllib.request.build_opener(NoRedirects).open(request, timeout=10) as response:
        status, body, location = response.status, response.read(), ""
except urllib.error.HTTPError as error:
    status, body, location = error.code, error.read(), error.headers.get("Location", "")
except OSError as error:
    status, body, location = 0, str(error).encode(), ""
with open(body_file, "wb") as out:
    out.write(body)
print(status, location)
PY
}

mnt=""
tmpfs_mounts=()
web_pid=""
database_made=""
cleanup() {
  status=$?
  if [ -n "$web_pid" ] && kill -0 "$web_pid" 2>/dev/null; then
    kill -TERM "$web_pid" 2>/dev/null || true
    wait "$web_pid" 2>/dev/null || true
  fi
  for dir in "${tmpfs_mounts[@]}"; do
    umount "$dir" 2>/dev/null || echo "warning: could not unmount $dir" >&2
  done
  if [ -n "$mnt" ]; then
    podman image unmount "$IMAGE" >/dev/null 2>&1 || echo "warning: could not unmount $IMAGE" >&2
  fi
  if [ -n "$database_made" ]; then
    admin_sql "DROP DATABASE IF EXISTS $IMAGE_DATABASE WITH (FORCE)" 2>/dev/null ||
      echo "warning: could not drop $IMAGE_DATABASE" >&2
  fi
  exit "$status"
}
trap cleanup EXIT

step "Tools: podman and debootstrap"
need=()
command -v podman >/dev/null || need+=(podman)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null ||
    fail "apt-get could not install ${need[*]}"
fi
podman --version

step "Base image: Debian 12 minbase (no Python), debootstrapped once per machine"
if [ "${IMAGE_FRESH_BASE:-}" = 1 ] || ! podman image exists "$BASE_IMAGE"; then
  rootfs=$(mktemp -d /var/tmp/runway-rootfs.XXXXXX)
  if ! debootstrap --variant=minbase bookworm "$rootfs" >"$LOG_DIR/debootstrap.log" 2>&1; then
    tail -20 "$LOG_DIR/debootstrap.log" >&2
    rm -rf "$rootfs"
    fail "debootstrap failed (log: $LOG_DIR/debootstrap.log)"
  fi
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null || fail "podman import failed"
  rm -rf "$rootfs"
  echo "built $BASE_IMAGE"
else
  echo "reusing $BASE_IMAGE from an earlier run (IMAGE_FRESH_BASE=1 rebuilds it)"
fi

step "podman build (Containerfile, BASE=$BASE_IMAGE)"
# pip inside the build gets the machine's package index settings, read-only.
mounts=()
for path in /etc/pip.conf /etc/xdg/pip /etc/ssl/certs; do
  [ -e "$path" ] && mounts+=(-v "$path:$path:ro")
done
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# --format docker: the OCI format has no HEALTHCHECK, podman would drop it. --jobs 2:
# the builder (venv) and runtime (system packages) stages run side by side.
if ! podman build --isolation=chroot --network host --format docker --jobs 2 "${mounts[@]}" \
  --build-arg BASE="$BASE_IMAGE" -f Containerfile -t "$IMAGE" . >"$LOG_DIR/build.log" 2>&1; then
  tail -40 "$LOG_DIR/build.log" >&2
  fail "podman build failed (log: $LOG_DIR/build.log)"
fi
grep -E 'STEP [0-9]+/[0-9]+: (FROM|RUN|COPY)|Using cache|^Not in requirements' "$LOG_DIR/build.log" |
  cut -c1-120 || true
# The image this build replaced, unless it is still what the tag names or a parent of a
# cached layer (then podman keeps it): reruns on one machine do not pile up images.
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$IMAGE")" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$IMAGE"

step "Image configuration: non-root user, health check, no secret in its environment"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "the image runs as '${user:-root}'"
podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthcheck.py ||
  fail "the image has no HEALTHCHECK"
if podman image inspect --format '{{json .Config.Env}}' "$IMAGE" |
  grep -Eq 'SECRET_KEY|FIELD_ENCRYPTION_KEYS|PASSWORD|DATABASE_URL'; then
  fail "the image's ENV carries a setting that must come from the deployment"
fi
echo "user $user; entry point $(podman image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")"

mnt=$(podman image mount "$IMAGE") || fail "podman image mount failed"
# The mount is read-only; a container runtime would give /tmp, /dev/shm (gunicorn's
# heartbeat files) and the media volume. Memory file systems stand in for them.
for dir in /tmp /dev/shm /app/var; do
  [ -d "$mnt$dir" ] || fail "the image has no $dir"
  mount -t tmpfs -o "mode=1777,size=64m" tmpfs "$mnt$dir" || fail "could not mount a tmpfs on $dir"
  tmpfs_mounts+=("$mnt$dir")
done
for leftover in .env .git .venv db.sqlite3; do
  [ ! -e "$mnt/app/$leftover" ] || fail "the image holds /app/$leftover from the build context"
done
uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$mnt/etc/passwd")
gid=$(awk -F: -v u="$user" '$1 == u { print $4 }' "$mnt/etc/passwd")
[ -n "$uid" ] && [ "$uid" -ne 0 ] || fail "user $user is not in the image's /etc/passwd"

# Production settings with throwaway secrets; what a deployment's environment holds.
secret_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
fernet_key=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
metrics_token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
app_env=(
  HOME=/app PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
  RUNWAY_ENV=production SECRET_KEY="$secret_key" FIELD_ENCRYPTION_KEYS="$fernet_key"
  ALLOWED_HOSTS=runway.example.com CSRF_TRUSTED_ORIGINS=https://runway.example.com
  DATABASE_URL="$IMAGE_DATABASE_URL" CACHE_URL="$CACHE_URL"
  CELERY_BROKER_URL="$CELERY_BROKER_URL" RUNWAY_RELEASE="image-ci-$$"
  RUNWAY_METRICS_TOKEN="$metrics_token"
)
# A command inside the image, as its user, with only the environment above.
in_image() {
  chroot --userspec="$uid:$gid" "$mnt" /usr/bin/env -i "${app_env[@]}" "$@"
}

step "check --deploy (production settings, inside the image)"
in_image /app/deploy/entrypoint.sh check --deploy --fail-level WARNING ||
  fail "manage.py check --deploy reported problems"

step "WeasyPrint renders a PDF with the image's pango"
in_image /opt/venv/bin/python -c \
  "import weasyprint; pdf = weasyprint.HTML(string='<p>Runway</p>').write_pdf(); assert pdf.startswith(b'%PDF'); print(len(pdf), 'bytes of PDF')" ||
  fail "WeasyPrint could not render a PDF in the image"

step "migrate (entry point: migrations, then the control libraries) into $IMAGE_DATABASE"
admin_sql "DROP DATABASE IF EXISTS $IMAGE_DATABASE WITH (FORCE)"
admin_sql "CREATE DATABASE $IMAGE_DATABASE" || fail "could not create $IMAGE_DATABASE"
database_made=1
in_image /app/deploy/entrypoint.sh migrate >"$LOG_DIR/migrate.log" 2>&1 || {
  tail -30 "$LOG_DIR/migrate.log" >&2
  fail "migrate failed in the image (log: $LOG_DIR/migrate.log)"
}
grep -c '  Applying ' "$LOG_DIR/migrate.log" | sed 's/$/ migrations applied/'
grep -E ': (imported|already imported)' "$LOG_DIR/migrate.log" || fail "import_controls imported nothing"
# Again: nothing left to apply, and the control libraries are not imported twice.
in_image /app/deploy/entrypoint.sh migrate --check >"$LOG_DIR/migrate-again.log" 2>&1 ||
  fail "a second migrate found work left (log: $LOG_DIR/migrate-again.log)"
if grep -E ': imported$' "$LOG_DIR/migrate-again.log"; then
  fail "import_controls imported a library again"
fi
echo "a second run changes nothing"

step "gunicorn through the entry point (web) on loopback"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Not through in_image: a function would run in a forked shell, and $! must be gunicorn
# itself (chroot, env and the entry point each exec the next).
chroot --userspec="$uid:$gid" "$mnt" /usr/bin/env -i "${app_env[@]}" \
  /app/deploy/entrypoint.sh web --bind "127.0.0.1:$port" --workers 2 >"$LOG_DIR/gunicorn.log" 2>&1 &
web_pid=$!
base="http://127.0.0.1:$port"
proxy=("Host: runway.example.com" "X-Forwarded-Proto: https")
answer=""
for _ in $(seq 120); do
  kill -0 "$web_pid" 2>/dev/null || {
    tail -30 "$LOG_DIR/gunicorn.log" >&2
    fail "gunicorn exited before answering (log: $LOG_DIR/gunicorn.log)"
  }
  answer=$(http_get "$base/healthz" "$LOG_DIR/healthz.json" "${proxy[@]}")
  [ "${answer%% *}" = 200 ] && break
  sleep 0.5
done
[ "${answer%% *}" = 200 ] || fail "/healthz answered '$answer': $(cat "$LOG_DIR/healthz.json")"
echo "/healthz: $answer $(cat "$LOG_DIR/healthz.json")"

in_image PORT="$port" /opt/venv/bin/python /app/deploy/healthcheck.py web ||
  fail "the image's HEALTHCHECK command reports the web server unhealthy"

answer=$(http_get "$base/accounts/login/" "$LOG_DIR/login.html" "${proxy[@]}")
[ "${answer%% *}" = 200 ] || fail "the login page answered '$answer'"
grep -q 'name="password"' "$LOG_DIR/login.html" || fail "the login page has no password field"
echo "/accounts/login/: $answer"

# A hashed, compressed static file from the manifest collectstatic wrote at build time.
asset=$(grep -oE '/static/[^"]+\.[0-9a-f]{12}\.css' "$LOG_DIR/login.html" | head -1)
[ -n "$asset" ] || fail "the login page links no hashed stylesheet (manifest storage)"
answer=$(http_get "$base$asset" "$LOG_DIR/asset.css" "${proxy[@]}" "Accept-Encoding: br")
[ "${answer%% *}" = 200 ] || fail "$asset answered '$answer'"
echo "$asset: $answer"

# /metrics for Prometheus' token only, summed over the workers from the files the entry
# point's folder collects (writable although the image is not).
answer=$(http_get "$base/metrics" "$LOG_DIR/metrics.txt" "${proxy[@]}" "Authorization: Bearer $metrics_token")
[ "${answer%% *}" = 200 ] || fail "/metrics answered '$answer' to the token"
grep -q '^runway_http_requests_total{' "$LOG_DIR/metrics.txt" || fail "/metrics has no request counts"
ls "$mnt"/tmp/runway-metrics/*.db >/dev/null 2>&1 || fail "no multiprocess metric files in /tmp/runway-metrics"
answer=$(http_get "$base/metrics" "$LOG_DIR/metrics-refused.txt" "${proxy[@]}")
[ "${answer%% *}" = 404 ] || fail "/metrics answered '$answer' without the token"
echo "/metrics: 200 with the token ($(grep -c '^runway_' "$LOG_DIR/metrics.txt") series), 404 without"

# Without the proxy's header the request is plain HTTP: production redirects it.
answer=$(http_get "$base/accounts/login/" "$LOG_DIR/redirect.html" "Host: runway.example.com")
case "$answer" in
301\ https://runway.example.com/accounts/login/) echo "plain HTTP: $answer" ;;
*) fail "plain HTTP was not redirected to https: '$answer'" ;;
esac

step "Stop gunicorn (SIGTERM, graceful)"
kill -TERM "$web_pid"
web_status=0
wait "$web_pid" || web_status=$?
web_pid=""
[ "$web_status" -eq 0 ] || fail "gunicorn exited with status $web_status on SIGTERM"
grep -q '"gunicorn.access"' "$LOG_DIR/gunicorn.log" || fail "no JSON access log line"
echo "stopped cleanly; access log lines are JSON"

step "Image proved in $((SECONDS - started)) s"
