"""The gap-assessment framework of step 2, as plain data.

Step 2 audits a prototype against its production requirements in the five areas
where prototypes usually fall short: architecture, security, data, evaluation
and testing, and operations. Each area holds a handful of criteria; each
criterion describes what every maturity level looks like for that criterion,
suggests a default target level, and names the transition step (1-7) in which a
gap is normally closed, with a one-line remediation.

This module is reference content only: it has no Django imports, so it can seed
catalog rows, feed forms and be checked on its own with ``validate()``.
"""

from __future__ import annotations

import re
from typing import Any

LEVELS: dict[int, str] = {
    0: "Prototype",
    1: "Initial",
    2: "Developing",
    3: "Managed",
    4: "Production-grade",
}

# Area key -> the prefix every criterion key of that area starts with.
AREA_PREFIXES: dict[str, str] = {
    "architecture": "arch-",
    "security": "sec-",
    "data": "data-",
    "evaluation": "eval-",
    "operations": "ops-",
}

AREAS: list[dict[str, Any]] = [
    {
        "key": "architecture",
        "name": "Architecture",
        "description": (
            "How the code is put together: whether credentials live outside it, whether "
            "logic sits behind services and interfaces, and whether the same build can run "
            "in several environments."
        ),
        "criteria": [
            {
                "key": "arch-secrets-out-of-code",
                "name": "Secrets out of code",
                "question": (
                    "Are API keys, credentials and model access tokens kept out of the source "
                    "code, notebooks and repository history?"
                ),
                "levels": {
                    0: "API keys or passwords are written into the source code or a committed notebook.",
                    1: "Keys have moved to a local .env file or environment variables, but old keys remain in the repository history and were never rotated.",
                    2: "No credential appears in the current code or its history, every key exposed earlier has been rotated, and all credentials are read from the environment.",
                    3: "A secret scanner runs on every commit and in CI and blocks any change that contains a credential.",
                    4: "The code holds no long-lived credentials at all: each service receives short-lived credentials at runtime, and blocking secret scans cover every repository the project uses.",
                },
                "default_target": 4,
                "remediation_step": 3,
                "remediation": "Read every credential from the environment, rotate any key that was ever committed, and add a blocking secret scanner to commit hooks and CI.",
            },
            {
                "key": "arch-modular-codebase",
                "name": "Code split into modules",
                "question": (
                    "Is the code split into separate API, data, inference, monitoring and "
                    "integration modules rather than living in one file?"
                ),
                "levels": {
                    0: "The whole application is one script or notebook in which UI, prompts, data access and model calls are mixed together.",
                    1: "The code is spread over a few files, but the split is by convenience and files still reach into each other's internals.",
                    2: "API, data and model-calling code sit in separate modules, while monitoring and integration code is still tangled with business logic.",
                    3: "API, data, inference, monitoring and integration layers are distinct modules with clear boundaries, each covered by its own tests.",
                    4: "Each layer can be changed, tested and released without touching the others, and the boundaries between them are enforced by dependency rules checked in CI.",
                },
                "default_target": 3,
                "remediation_step": 5,
                "remediation": "Refactor the prototype into API, data, inference, monitoring and integration modules, adding tests at each boundary as it is drawn.",
            },
            {
                "key": "arch-service-layer",
                "name": "Service layer and loose coupling",
                "question": (
                    "Does business logic sit behind a service layer with defined interfaces, so "
                    "that callers such as the UI do not depend on its internals?"
                ),
                "levels": {
                    0: "The user interface calls the model and the database directly, and changing one component breaks others.",
                    1: "Some logic has moved into helper functions, but the UI still orchestrates prompts, retrieval and storage itself.",
                    2: "A service layer covers the main flows, but some callers bypass it and its contracts are not written down.",
                    3: "Every caller goes through a service layer exposed as REST endpoints or typed interfaces with documented, versioned contracts.",
                    4: "Service contracts are verified by contract tests in CI, and services run in containers that scale independently of the front end.",
                },
                "default_target": 3,
                "remediation_step": 5,
                "remediation": "Introduce a service layer with documented REST or typed interfaces, route every caller through it, and remove direct model and database calls from the UI.",
            },
            {
                "key": "arch-model-provider-abstraction",
                "name": "Model provider abstraction",
                "question": (
                    "Is the model provider behind an interface, so that the model or provider can "
                    "be switched or routed without rewriting the application?"
                ),
                "levels": {
                    0: "One provider's SDK is called all over the code, with model names and prompt formats hard-coded at each call site.",
                    1: "Model calls go through a shared helper, but it exposes provider-specific parameters and response shapes to its callers.",
                    2: "A provider-neutral interface wraps all model calls and the model name is configuration, but only one provider has been implemented.",
                    3: "At least two providers or model tiers work behind the interface, and switching between them is a configuration change covered by tests.",
                    4: "Requests are routed by rule between a small and a large model, fall back automatically to another provider on errors or timeouts, and cost and quality are measured per route.",
                },
                "default_target": 3,
                "remediation_step": 5,
                "remediation": "Wrap every model call in a provider-neutral interface, make provider and model name configuration, and prove a second provider or tier works behind it.",
            },
            {
                "key": "arch-environment-config",
                "name": "Configuration per environment",
                "question": (
                    "Do development, staging and production each have their own configuration, "
                    "with no code change needed to move between them?"
                ),
                "levels": {
                    0: "Endpoints, model names and database paths are constants in the code, and the only environment is a developer's machine.",
                    1: "Some settings come from environment variables, but defaults point at one shared setup and switching environment means editing code.",
                    2: "Development and production have separate settings, but there is no staging environment and differences are kept in step by hand.",
                    3: "Development, staging and production each have their own configuration, data and credentials read from the environment, and the same build runs in all three.",
                    4: "All environment configuration is defined as reviewed infrastructure as code, and drift between environments is detected automatically.",
                },
                "default_target": 3,
                "remediation_step": 5,
                "remediation": "Read every setting from the environment, create separate development, staging and production configurations with their own credentials, and manage them as infrastructure as code.",
            },
        ],
    },
    {
        "key": "security",
        "name": "Security",
        "description": (
            "Who can reach the assistant and its data, what each of them may do, and how data, "
            "keys and prompts are protected against leaks and misuse."
        ),
        "criteria": [
            {
                "key": "sec-authentication",
                "name": "Authentication",
                "question": (
                    "Must every user and every calling service prove its identity before it can "
                    "reach the application or its APIs?"
                ),
                "levels": {
                    0: "Anyone who has the URL can use the application and its API without signing in.",
                    1: "A single shared password or API key protects the application for all users.",
                    2: "Users sign in with individual accounts, but some endpoints or internal services still accept unauthenticated calls.",
                    3: "All users sign in through the company identity provider, and every API and service-to-service call is authenticated.",
                    4: "Single sign-on with multi-factor authentication is enforced, sessions and tokens expire and can be revoked, and failed sign-ins are logged and alerted on.",
                },
                "default_target": 4,
                "remediation_step": 3,
                "remediation": "Put the application and every API behind the company identity provider, retire shared passwords and keys, and authenticate service-to-service calls.",
            },
            {
                "key": "sec-role-based-authorisation",
                "name": "Role-based authorisation",
                "question": (
                    "Does the application limit what each user may see and do by role, including "
                    "which documents and tools the model may use on their behalf?"
                ),
                "levels": {
                    0: "Every user can see all data and use every feature, administrative functions included.",
                    1: "An admin flag separates administrators from everyone else, but all other users share the same access.",
                    2: "Roles exist and the user interface hides what a role may not use, but APIs, retrieval and tool calls do not check them.",
                    3: "Least-privilege role checks are enforced on the server for every endpoint, retrieved document and tool the model may call.",
                    4: "Access rules are covered by automated tests, permissions are reviewed on a schedule, and every denied or privileged action is written to an audit log.",
                },
                "default_target": 3,
                "remediation_step": 3,
                "remediation": "Define roles from the requirements and enforce them on the server for every endpoint, retrieval query and model tool, with tests for each rule.",
            },
            {
                "key": "sec-encryption",
                "name": "Encryption in transit and at rest",
                "question": (
                    "Is data encrypted on every network hop and in every store, including logs, "
                    "vector indexes and backups?"
                ),
                "levels": {
                    0: "Traffic runs over plain HTTP, and data, logs and embeddings are stored unencrypted.",
                    1: "The public endpoint uses HTTPS, but internal traffic and storage are not encrypted.",
                    2: "External and most internal traffic uses TLS and the main database is encrypted at rest, but vector stores, logs or backups are not.",
                    3: "TLS protects every hop, and every store holding project data (database, vector index, object storage, logs and backups) is encrypted at rest.",
                    4: "Encryption keys live in a key-management service with rotation and access auditing, and encryption settings are checked continuously by policy.",
                },
                "default_target": 4,
                "remediation_step": 3,
                "remediation": "Turn on TLS for every connection and encryption at rest for every store that holds project data, with keys held in a key-management service.",
            },
            {
                "key": "sec-secrets-management",
                "name": "Secrets management",
                "question": (
                    "Are secrets held in a managed secrets store with restricted access, rotation "
                    "and an audit trail?"
                ),
                "levels": {
                    0: "Secrets are passed around by chat or email and kept in code or local files.",
                    1: "Secrets sit in environment files copied by hand between machines, and many people know the production keys.",
                    2: "Production secrets are stored in the hosting platform's secret settings, but rotation is manual and rare and nobody reviews who has access.",
                    3: "All secrets are held in a secrets manager, each environment and service has its own least-privilege keys, and keys are rotated on a schedule.",
                    4: "Secrets are short-lived or rotated automatically, every read is audited, and a leaked key can be revoked and replaced within minutes without a redeployment.",
                },
                "default_target": 3,
                "remediation_step": 5,
                "remediation": "Move all secrets into a secrets manager with separate least-privilege keys per environment and service, and schedule their rotation.",
            },
            {
                "key": "sec-prompt-injection",
                "name": "Prompt-injection defences",
                "question": (
                    "Is the assistant protected against user input or retrieved content that tries "
                    "to override its instructions or extract data it must not reveal?"
                ),
                "levels": {
                    0: "User input and retrieved text go straight into the prompt, and the model's output is shown or acted on without any check.",
                    1: "The system prompt asks the model to ignore malicious instructions, but nothing validates input or checks output.",
                    2: "Input is validated for length and known attack patterns and output is filtered for obvious leaks, but retrieved content and tool calls are not covered.",
                    3: "Input validation and output filtering cover user input, retrieved content and tool results, tools run with least privilege, and risky actions need confirmation.",
                    4: "A maintained set of injection attacks runs in the evaluation suite on every change, and blocked attempts in production are logged, monitored and reviewed.",
                },
                "default_target": 3,
                "remediation_step": 3,
                "remediation": "Validate and delimit all untrusted input including retrieved text, filter outputs for leaks, restrict tool permissions, and add injection attacks to the test suite.",
            },
        ],
    },
    {
        "key": "data",
        "name": "Data",
        "description": (
            "Whether the assistant runs on real, clean and current data delivered by monitored "
            "pipelines, and whether personal data is protected along the way."
        ),
        "criteria": [
            {
                "key": "data-real-data",
                "name": "Real data instead of samples",
                "question": (
                    "Has the assistant been built and checked against real production data rather "
                    "than sample or synthetic data?"
                ),
                "levels": {
                    0: "The prototype runs on a hand-picked sample, synthetic records or a one-off export.",
                    1: "A larger extract of real data was loaded once by hand, but it is never refreshed and its coverage is unknown.",
                    2: "Real data from the source systems is used in staging, with known gaps in coverage, history or messy cases.",
                    3: "Production data from every intended source feeds the assistant, incomplete and messy records included, and its behaviour on that data has been checked.",
                    4: "Every production data source is documented with an owner and a data contract, and shifts in its volume or distribution are detected and reviewed.",
                },
                "default_target": 3,
                "remediation_step": 4,
                "remediation": "Connect the assistant to the real source systems, test it on representative messy records, and document each source with an owner.",
            },
            {
                "key": "data-etl-pipelines",
                "name": "ETL pipelines",
                "question": (
                    "Is data extracted, transformed and loaded by automated, scheduled pipelines "
                    "rather than by manual copies or ad-hoc scripts?"
                ),
                "levels": {
                    0: "Data is copied in by hand or by a script someone runs on a laptop.",
                    1: "An ETL script is in the repository, but it is run manually and failures are noticed only when answers go wrong.",
                    2: "Pipelines run on a schedule or on events, but failures raise no alert and reruns are done by hand.",
                    3: "Pipelines are version-controlled, scheduled, idempotent and retried automatically, and failures alert a named owner.",
                    4: "Pipelines meet stated freshness and success-rate targets, are tested in staging before release, and their failures are tracked as a live metric.",
                },
                "default_target": 3,
                "remediation_step": 4,
                "remediation": "Replace manual loads with scheduled, idempotent, version-controlled pipelines that retry on error and alert an owner when they fail.",
            },
            {
                "key": "data-quality-checks",
                "name": "Data-quality checks",
                "question": (
                    "Is incoming data checked automatically for completeness, validity, duplicates "
                    "and schema changes before the assistant uses it?"
                ),
                "levels": {
                    0: "Nobody checks the data; problems show up as wrong answers.",
                    1: "Data is spot-checked by hand when someone suspects a problem.",
                    2: "A few automated checks such as schema or null checks run on the main source, but a failing check does not stop the load.",
                    3: "Automated quality rules run on every source at each load, bad records are quarantined, and failures alert the data owner.",
                    4: "Quality results are tracked over time against agreed thresholds, and a breach stops new data from reaching production.",
                },
                "default_target": 3,
                "remediation_step": 4,
                "remediation": "Add automated completeness, validity, duplicate and schema checks to every pipeline, quarantine failing records, and alert the data owner.",
            },
            {
                "key": "data-knowledge-base-freshness",
                "name": "Retrieval knowledge-base freshness",
                "question": (
                    "Is the knowledge base behind retrieval kept current, so that changed and "
                    "deleted source documents are reflected within an agreed time?"
                ),
                "levels": {
                    0: "The vector index was built once from a folder of documents and has never been updated.",
                    1: "The index is rebuilt by hand now and then, and nobody knows how old its content is.",
                    2: "The index is refreshed on a schedule, but deletions and permission changes in the source systems are not carried over.",
                    3: "Source changes, deletions and access changes included, reach the index within an agreed freshness window, and each chunk records its source and update time.",
                    4: "Index freshness and retrieval quality are monitored as metrics, and stale or orphaned content is found and removed automatically.",
                },
                "default_target": 3,
                "remediation_step": 4,
                "remediation": "Feed the index incrementally from the source systems, carrying deletions and permission changes, and record source and update time on every chunk.",
            },
            {
                "key": "data-pii-handling",
                "name": "Personal data handling",
                "question": (
                    "Is personal and confidential data identified, minimised and masked in prompts, "
                    "logs and outputs as its privacy class requires?"
                ),
                "levels": {
                    0: "Personal data flows unfiltered into prompts, logs and third-party model APIs, and can appear in answers.",
                    1: "The team knows which sources hold personal data, but nothing is masked or minimised.",
                    2: "Personal data is masked in some places, such as logs, but not consistently in prompts, outputs or the retrieval index.",
                    3: "Personal data is classified and masked or removed before prompts and logs, outputs are filtered for it, and the model providers used are approved for its privacy class.",
                    4: "Masking is verified in the evaluation suite, retention and deletion rules are enforced automatically, and every access to personal data can be audited.",
                },
                "default_target": 4,
                "remediation_step": 3,
                "remediation": "Classify the data, mask or drop personal fields before prompts and logs, filter outputs for personal data, and use only providers approved for that class.",
            },
        ],
    },
    {
        "key": "evaluation",
        "name": "Evaluation and testing",
        "description": (
            "Whether the quality of non-deterministic output is measured systematically and "
            "tracked over time, and whether changes, failures and load are tested before they "
            "reach users."
        ),
        "criteria": [
            {
                "key": "eval-dataset",
                "name": "Evaluation data set",
                "question": (
                    "Is there a curated evaluation set of representative inputs with expected "
                    "answers or grading criteria?"
                ),
                "levels": {
                    0: "Quality is judged by trying a few prompts during a demo.",
                    1: "A short list of sample questions is kept in a document and tried by hand before demos.",
                    2: "A versioned evaluation set with expected answers exists, but it covers mostly easy cases and is rarely updated.",
                    3: "A versioned evaluation set covers the main use cases, edge cases and known failure modes with expected answers or rubrics, and domain experts have reviewed it.",
                    4: "The evaluation set grows continuously from production failures and user feedback, and its coverage of use cases is measured.",
                },
                "default_target": 3,
                "remediation_step": 6,
                "remediation": "Build a versioned evaluation set with domain experts that covers main use cases, edge cases and known failures, each with an expected answer or rubric.",
            },
            {
                "key": "eval-quality-tracking",
                "name": "Automated quality scoring over time",
                "question": (
                    "Is output quality scored automatically and tracked over time against the "
                    "quality target set in the requirements?"
                ),
                "levels": {
                    0: "There is no quality score; one good answer is taken as proof that the assistant works.",
                    1: "Someone runs the evaluation set by hand from time to time and records an impression.",
                    2: "A script scores the evaluation set with rule-based or model-graded metrics, but it runs ad hoc and results are not kept.",
                    3: "The named quality score is computed automatically on every change and on a schedule, with repeated runs per case to allow for non-determinism, and stored as a trend against the target.",
                    4: "Sampled production responses are scored continuously by model graders calibrated against human review, and a drop below target raises an alert.",
                },
                "default_target": 3,
                "remediation_step": 6,
                "remediation": "Automate scoring of the evaluation set with the quality score named in the requirements, run it on every change and on a schedule, and keep the results as a trend.",
            },
            {
                "key": "eval-prompt-regression-tests",
                "name": "Prompt regression tests",
                "question": (
                    "Do changes to prompts, model versions or retrieval settings run automated "
                    "regression tests before release?"
                ),
                "levels": {
                    0: "Prompts are edited directly in code or settings with no tests at all.",
                    1: "Prompts are under version control, but a change is checked only by trying a few questions by hand.",
                    2: "Regression tests exist for some prompts, but they are run manually and do not block a release.",
                    3: "Every change to a prompt, model version or retrieval setting runs the regression suite in CI, and a drop in score blocks the merge.",
                    4: "Prompt and model changes are compared side by side with the live version and rolled out gradually, with a quick rollback if production quality falls.",
                },
                "default_target": 3,
                "remediation_step": 6,
                "remediation": "Keep prompts and model settings in version control and run a regression suite in CI that blocks merges when the score drops.",
            },
            {
                "key": "eval-load-testing",
                "name": "Load testing",
                "question": (
                    "Has the application been load-tested at the daily volume and peak rate from "
                    "the requirements, including the model provider's rate limits?"
                ),
                "levels": {
                    0: "The application has only ever served a handful of demo users.",
                    1: "A few concurrent requests have been tried by hand without measuring latency or errors.",
                    2: "A load test was run once, but below the target peak or without realistic prompts and provider rate limits.",
                    3: "A repeatable load test at the target volume and peak shows p95 latency and error rate within the requirements, including behaviour when the provider throttles.",
                    4: "Load tests run automatically before major releases and capacity changes, and their traffic profile is kept in line with real production traffic.",
                },
                "default_target": 3,
                "remediation_step": 6,
                "remediation": "Write a repeatable load test with realistic prompts at the target volume and peak, and fix whatever breaks the p95 latency or error-rate targets.",
            },
            {
                "key": "eval-failure-handling",
                "name": "Failure-mode testing",
                "question": (
                    "Is graceful behaviour tested for when the model, retrieval or a downstream "
                    "system times out, errors or returns malformed output?"
                ),
                "levels": {
                    0: "An error from the model or a data source crashes the application or shows a raw stack trace.",
                    1: "Some errors are caught, but timeouts, rate limits and malformed output are not handled.",
                    2: "Model calls have timeouts, retries and friendly error messages, but these are untested and other dependencies are not covered.",
                    3: "Automated tests simulate model timeouts, rate limits, malformed output and unavailable data sources, and the application degrades gracefully in each case.",
                    4: "Fallbacks such as a secondary model or cached answers are exercised regularly by fault injection in staging, and their use in production is measured.",
                },
                "default_target": 3,
                "remediation_step": 6,
                "remediation": "Add timeouts, retries and fallbacks around every dependency, and write tests that simulate each failure to prove the application degrades gracefully.",
            },
        ],
    },
    {
        "key": "operations",
        "name": "Operations",
        "description": (
            "Whether the team can see in production what the assistant does, what it costs and "
            "when it fails, and can respond quickly when it does."
        ),
        "criteria": [
            {
                "key": "ops-structured-logging",
                "name": "Structured logging",
                "question": (
                    "Are requests, model calls and errors logged in a structured, searchable form "
                    "with a request ID, without exposing personal data?"
                ),
                "levels": {
                    0: "Output goes to print statements or the console and is lost when the process restarts.",
                    1: "Plain-text logs are written to files on the server and read by hand.",
                    2: "Logs are collected in one place, but formats differ between components and model calls are not logged consistently.",
                    3: "Every component writes structured logs to a central store, with a request ID linking the user request, retrieval, model calls and token counts, and personal data masked.",
                    4: "Logs and traces are kept according to a retention policy, linked to an LLM observability tool, and used routinely for debugging and audits.",
                },
                "default_target": 3,
                "remediation_step": 7,
                "remediation": "Emit structured logs with a request ID from every component to a central store, include model, tokens and latency per call, and mask personal data.",
            },
            {
                "key": "ops-monitoring",
                "name": "Monitoring of latency, errors and quality",
                "question": (
                    "Are latency, error rate, response quality, data-pipeline failures and user "
                    "feedback monitored live in production?"
                ),
                "levels": {
                    0: "Nobody knows how the application performs until a user complains.",
                    1: "Someone looks at the provider's dashboard or the logs now and then.",
                    2: "A dashboard shows request counts and errors, but not latency percentiles, quality or pipeline failures.",
                    3: "A production dashboard shows daily p50 and p95 latency, error rate, quality score, pipeline failures and user feedback against the targets in the requirements.",
                    4: "Monitoring covers every dependency with traces, availability is measured, and trends are reviewed regularly to plan improvements.",
                },
                "default_target": 3,
                "remediation_step": 7,
                "remediation": "Connect an observability source and build a production dashboard of latency percentiles, error rate, quality, pipeline failures and feedback against the targets.",
            },
            {
                "key": "ops-alerting",
                "name": "Alerting",
                "question": (
                    "Do breaches of the latency, error-rate, quality and cost thresholds raise "
                    "alerts that reach a named person?"
                ),
                "levels": {
                    0: "There are no alerts.",
                    1: "An alert fires when the server is down, sent to a shared inbox that nobody watches.",
                    2: "Alerts fire on some metrics, but their thresholds are not tied to the targets and the noise means people ignore them.",
                    3: "Alerts on latency, error rate, quality, pipeline failures and budget use thresholds derived from the targets and go to an on-call owner who acknowledges them.",
                    4: "Alerts are tuned to be rare and meaningful, escalate when nobody acknowledges them, and each links to a runbook.",
                },
                "default_target": 3,
                "remediation_step": 7,
                "remediation": "Set alert thresholds from the step 1 targets for latency, errors, quality, pipeline failures and budget, and route them to an on-call owner.",
            },
            {
                "key": "ops-incident-response",
                "name": "Incident response runbook",
                "question": (
                    "Is there an incident response process with runbooks, a named operating owner "
                    "and reviews after incidents?"
                ),
                "levels": {
                    0: "When it breaks, whoever notices tries to fix it.",
                    1: "The team knows who built it, but there is no on-call rota or written procedure.",
                    2: "A named operating owner exists and some runbooks are written, but they have never been tried.",
                    3: "An on-call rota, rehearsed runbooks for known failures (provider outage, bad answers, data leak, cost spike) and a way to switch off or roll back the assistant are in place.",
                    4: "Incidents are tracked against response-time targets, each significant one gets a blameless review, and its follow-up actions are completed.",
                },
                "default_target": 3,
                "remediation_step": 7,
                "remediation": "Name an operating owner and on-call rota, write and rehearse runbooks for the likely failures, and provide a kill switch and rollback path.",
            },
            {
                "key": "ops-cost-tracking",
                "name": "Cost tracking",
                "question": (
                    "Are tokens and cost per request tracked and compared with the monthly "
                    "budget, using the provider's billed cost where it is available?"
                ),
                "levels": {
                    0: "Cost is discovered when the provider's invoice arrives.",
                    1: "Someone checks the provider's billing page by hand from time to time.",
                    2: "Token usage is logged, but cost is estimated by hand and not compared with the budget.",
                    3: "Tokens and cost per request are tracked daily, billed cost is reconciled with observed cost, and the month-end forecast is compared with the budget.",
                    4: "Cost per request is tracked by feature and budget alerts are in place, and cost is reduced continuously through model routing, caching and shorter prompts.",
                },
                "default_target": 3,
                "remediation_step": 7,
                "remediation": "Connect the provider's cost report and an observability source, track tokens and cost per request daily, and compare the month's forecast with the budget.",
            },
        ],
    },
]

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def validate() -> None:
    """Check the framework's shape; raise AssertionError on the first problem."""
    assert sorted(LEVELS) == [0, 1, 2, 3, 4], "LEVELS must be 0-4"
    assert [area["key"] for area in AREAS] == list(AREA_PREFIXES), (
        "areas missing or out of order"
    )
    seen: set[str] = set()
    for area in AREAS:
        assert area["name"] and area["description"], (
            f"{area['key']}: name and description needed"
        )
        criteria = area["criteria"]
        assert 4 <= len(criteria) <= 6, (
            f"{area['key']}: needs 4-6 criteria, has {len(criteria)}"
        )
        prefix = AREA_PREFIXES[area["key"]]
        for criterion in criteria:
            key = criterion["key"]
            assert _KEBAB.match(key), f"{key}: not kebab-case"
            assert key.startswith(prefix), f"{key}: must start with {prefix}"
            assert key not in seen, f"{key}: duplicate key"
            seen.add(key)
            for field in ("name", "question", "remediation"):
                assert isinstance(criterion[field], str) and criterion[field].strip(), (
                    f"{key}: {field} empty"
                )
            levels = criterion["levels"]
            assert sorted(levels) == [0, 1, 2, 3, 4], f"{key}: levels must be 0-4"
            for level, text in levels.items():
                assert isinstance(text, str) and text.strip(), (
                    f"{key}: level {level} empty"
                )
            target = criterion["default_target"]
            assert isinstance(target, int) and 0 <= target <= 4, (
                f"{key}: target out of range"
            )
            step = criterion["remediation_step"]
            assert isinstance(step, int) and 1 <= step <= 7, (
                f"{key}: remediation step out of range"
            )


if __name__ == "__main__":
    validate()
    print(f"{len(AREAS)} areas, {sum(len(a['criteria']) for a in AREAS)} criteria: OK")
