"""compose.yaml: the single-host deployment docs/deploy.md describes."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "beat"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_it_runs_the_database_the_broker_and_the_four_app_processes():
    assert set(compose()["services"]) == {"postgres", "redis"} | APP_SERVICES


def test_every_app_service_reads_the_settings_from_dot_env_and_runs_one_image():
    services = compose()["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        assert services[name]["env_file"] == ".env", name
        assert services[name]["build"]["dockerfile"] == "Containerfile", name


def test_each_app_service_runs_its_entry_point_subcommand():
    services = compose()["services"]
    for name in APP_SERVICES:
        assert services[name]["command"] == [name]


def test_it_refuses_to_start_without_a_shared_database_broker_and_cache():
    # Without them each container would fall back to its own SQLite file, broker
    # folder or memory cache: tasks queued by web would never reach the worker.
    for name in APP_SERVICES:
        environment = compose()["services"][name]["environment"]
        for variable in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
            assert environment[variable].startswith(f"${{{variable}:?"), (
                name,
                variable,
            )


def test_web_worker_and_beat_start_only_after_migrate_has_finished():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_the_database_and_the_evidence_files_live_in_named_volumes():
    document = compose()
    services = document["services"]
    assert {"database", "media"} <= set(document["volumes"])
    assert "database:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("web", "worker"):
        assert "media:/app/var/media" in services[name]["volumes"]
        assert services[name]["environment"]["MEDIA_ROOT"] == "/app/var/media"


def test_the_long_running_services_have_health_checks():
    services = compose()["services"]
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "healthcheck.py" in services["web"]["healthcheck"]["test"][-2]
    # migrate exits and beat is one process: the image's web check would not fit them.
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert services["beat"]["healthcheck"] == {"disable": True}


def test_web_is_published_on_loopback_only_by_default():
    # Runway trusts X-Forwarded-Proto: only the TLS proxy may reach gunicorn.
    (port,) = compose()["services"]["web"]["ports"]
    assert port == "${RUNWAY_HTTP_ADDRESS:-127.0.0.1:8000}:8000"


def test_web_is_given_longer_to_stop_than_gunicorn_gives_its_requests():
    web = compose()["services"]["web"]
    assert int(web["stop_grace_period"].rstrip("s")) > 30


def test_postgres_runs_without_jit():
    assert "jit=off" in compose()["services"]["postgres"]["command"]


def test_beat_is_never_scaled():
    assert "deploy" not in compose()["services"]["beat"]
