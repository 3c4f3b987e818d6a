#!/bin/sh
# Runway's one entry point, in the image and out of it:
#   web      gunicorn with deploy/gunicorn.conf.py (extra arguments go to gunicorn)
#   worker   a Celery worker (extra arguments go to celery worker, e.g. --concurrency 4)
#   beat     Celery beat; run exactly one in the whole deployment
#   migrate  migrations, then the shipped control libraries (both idempotent); run once
#            per release, before the new web and worker processes start
#   anything else is a manage.py command: `entrypoint.sh createsuperuser`
# Each process is exec'd, so it is PID 1 in a container and receives SIGTERM itself.
set -eu

app_dir=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$app_dir"

# The image's virtualenv first, whatever PATH the caller had: CI runs this script
# through chroot with a bare environment, where no image ENV applies.
venv=${RUNWAY_VENV:-/opt/venv}
PATH="$venv/bin:${PATH:-/usr/local/bin:/usr/bin:/bin}"
export PATH
# The image is for deployments: production's safe defaults unless told otherwise
# (settings then refuse to start without SECRET_KEY, CACHE_URL and
# FIELD_ENCRYPTION_KEYS, rather than run with development's).
RUNWAY_ENV=${RUNWAY_ENV:-production}
export RUNWAY_ENV

command=${1:-web}
if [ "$#" -gt 0 ]; then shift; fi

# /metrics adds up every gunicorn worker's counters from files in this folder
# (prometheus_client's multiprocess mode, read when it is imported). It must start
# empty: files of an earlier run would be counted again. Only web processes keep them.
if [ "$command" = web ]; then
    PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-/tmp/runway-metrics}
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -exec rm -f {} +
    export PROMETHEUS_MULTIPROC_DIR
else
    unset PROMETHEUS_MULTIPROC_DIR
fi

case "$command" in
web)
    exec gunicorn --config "$app_dir/deploy/gunicorn.conf.py" "$@"
    ;;
worker)
    # As Procfile.dev starts it (the default queue; no gossip, mingle or event
    # heartbeats, which only add broker traffic), with the pool sized by
    # CELERY_WORKER_CONCURRENCY (default: one process per core).
    if [ -n "${CELERY_WORKER_CONCURRENCY:-}" ]; then
        set -- --concurrency "$CELERY_WORKER_CONCURRENCY" "$@"
    fi
    exec celery -A portal worker --loglevel "${LOG_LEVEL:-INFO}" \
        --without-heartbeat --without-mingle --without-gossip "$@"
    ;;
beat)
    # The scheduler is settings.CELERY_BEAT_SCHEDULER (django-celery-beat's database
    # scheduler); no pid file, so a restarted container never finds a stale one.
    exec celery -A portal beat --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
migrate)
    python manage.py migrate --noinput "$@"
    exec python manage.py import_controls
    ;;
*)
    exec python manage.py "$command" "$@"
    ;;
esac
