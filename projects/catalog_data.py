"""Seed catalog for Runway: the seven transition steps, compliance frameworks, data
classifications and the checklist templates behind every project's checklist.

Plain data, no Django imports: a data migration loads it into the Step, Framework and
ChecklistTemplate tables, and admins may reword the rows afterwards. Checklist keys are
stable identifiers; never rename or reuse one, retire an item by deactivating it instead.

Applicability of a checklist item to a project:
- ``frameworks``: empty means every project; otherwise only projects under at least one
  of the listed frameworks.
- ``min_classification``: None means any data class; otherwise only projects whose data
  classification is at least this sensitive (see ``CLASSIFICATIONS`` for the order).
- ``ai_act_tiers`` (optional, listed in ``AI_ACT_TIERS``): the item carries an obligation
  of those EU AI Act tiers. Once a project's tier is assessed it applies exactly when
  the tier is one of them; before that only through its frameworks (none: not at all).
  ``AI_ACT_CHECKLIST`` adds the items that exist only for a tier.

Run ``validate()`` after editing to check the catalog's invariants.
"""

from __future__ import annotations

import re
from typing import Any

STEPS: list[dict[str, Any]] = [
    {
        "number": 1,
        "name": "Production requirements and success criteria",
        "short_name": "Requirements",
        "purpose": (
            "Settle what production means for this project before engineering work starts: "
            "who will use it, how much traffic it must carry, and how fast, accurate, "
            "available and affordable it has to be. These targets become the yardsticks "
            "that every later gate is measured against, so vague answers here turn into "
            "arguments at launch."
        ),
        "gate": (
            "A requirements document with every target filled in (volume, p95 latency, "
            "error rate, quality score and its name, uptime, monthly budget, data class "
            "and compliance scope) has been approved by the project's PM."
        ),
    },
    {
        "number": 2,
        "name": "Prototype architecture gap assessment",
        "short_name": "Gap assessment",
        "purpose": (
            "Hold the prototype up against the approved requirements in the five areas "
            "where demo code usually breaks: architecture, security, data, evaluation and "
            "testing, and operations. Each area gets a maturity rating today and a target, "
            "and every shortfall becomes a tracked remediation that feeds the plan for the "
            "remaining steps."
        ),
        "gate": (
            "An assessment covering all five areas is recorded, and every gap it found has "
            "a named owner and a planned remediation."
        ),
    },
    {
        "number": 3,
        "name": "Security and compliance controls",
        "short_name": "Security & compliance",
        "purpose": (
            "Put in place the baseline controls any AI system needs once real users and "
            "real data arrive: identity, access control, encryption, secrets handling, "
            "prompt-injection defences, masking of personal data and audit trails. On top "
            "of that, add the specific controls of each compliance framework the project "
            "falls under."
        ),
        "gate": (
            "Every required control that applies to the project is evidenced, and the "
            "assigned security or compliance reviewer has signed the step off."
        ),
    },
    {
        "number": 4,
        "name": "Production data pipelines and integrations",
        "short_name": "Data & integrations",
        "purpose": (
            "Swap the prototype's sample and synthetic data for governed, repeatable data "
            "flows: ETL with quality checks, a schema and queries designed for production "
            "load, the knowledge base behind retrieval, and connections to enterprise "
            "systems. Answers are only as good as the data behind them, so these flows "
            "must be observable."
        ),
        "gate": (
            "Pipelines run on production data, and their failures raise alerts that a "
            "named team watches."
        ),
    },
    {
        "number": 5,
        "name": "Staging and production environments",
        "short_name": "Environments",
        "purpose": (
            "Give the project isolated development, staging and production environments "
            "built from code, with containers, a secrets manager and an automated delivery "
            "pipeline. The model provider sits behind an interface so that models or "
            "vendors can be changed without rewriting the application."
        ),
        "gate": (
            "A change can reach production only by passing through staging first, and that "
            "path is automated end to end."
        ),
    },
    {
        "number": 6,
        "name": "Evaluation and testing framework",
        "short_name": "Evaluation",
        "purpose": (
            "Model output varies from one run to the next, so one good answer proves "
            "nothing: quality has to be measured on representative data and tracked over "
            "time. This step builds the evaluation sets, automated and human scoring, "
            "prompt regression tests, adversarial tests and a load test at the target "
            "volume."
        ),
        "gate": (
            "The latest evaluation run on the set named for step 6 meets the approved "
            "quality target, no tracked metric fell by more than the tolerance against "
            "the accepted baseline run, and a load test at or above the peak volume met "
            "the latency and error-rate targets."
        ),
    },
    {
        "number": 7,
        "name": "Deploy, monitor and optimize",
        "short_name": "Deploy & monitor",
        "purpose": (
            "Put the system in front of real traffic with visibility into latency, token "
            "use and cost per request, errors, answer quality, pipeline health and user "
            "feedback. Run it with alerting, on-call and incident runbooks, and keep "
            "tuning cost and quality once it is live."
        ),
        "gate": (
            "Step 1's latency, error-rate, cost and quality targets hold in production "
            "over the stated window (7 days by default), and an operating owner is named."
        ),
    },
]

FRAMEWORKS: list[dict[str, Any]] = [
    {
        "code": "hipaa",
        "name": "HIPAA",
        "description": (
            "US law protecting health information (PHI), including the safeguards and "
            "business associate agreements required when a vendor such as a model provider "
            "handles it."
        ),
    },
    {
        "code": "soc2",
        "name": "SOC 2",
        "description": (
            "AICPA attestation that a service operates effective security, availability "
            "and confidentiality controls, often demanded by enterprise customers."
        ),
    },
    {
        "code": "pci_dss",
        "name": "PCI DSS",
        "description": (
            "Payment card industry standard for any system that stores, processes or "
            "transmits cardholder data."
        ),
    },
    {
        "code": "gdpr",
        "name": "GDPR",
        "description": (
            "EU regulation on processing personal data of people in the EU, covering "
            "lawful basis, data subject rights, impact assessments and international "
            "transfers."
        ),
    },
    {
        "code": "eu_ai_act",
        "name": "EU AI Act",
        "description": (
            "EU regulation that sorts AI systems into risk tiers and attaches "
            "transparency, human oversight and documentation duties to each tier."
        ),
    },
    {
        "code": "iso_42001",
        "name": "ISO/IEC 42001",
        "description": (
            "International standard for an AI management system: governance, risk and "
            "impact assessment, and lifecycle controls for AI systems."
        ),
    },
    {
        "code": "nist_ai_rmf",
        "name": "NIST AI RMF",
        "description": (
            "Voluntary US NIST framework for managing AI risk through its Govern, Map, "
            "Measure and Manage functions."
        ),
    },
]

# Ordered from least to most sensitive; applicability compares positions in this list.
CLASSIFICATIONS: list[str] = ["public", "internal", "confidential", "regulated"]

CHECKLIST: list[dict[str, Any]] = [
    # --- Step 1: Requirements ----------------------------------------------------------
    {
        "key": "s1-users-and-volume",
        "step": 1,
        "title": "Estimate users, daily request volume and peak request rate",
        "guidance": (
            "Token spend, provider rate limits and compute capacity all scale with "
            "traffic, and a prototype serving a hundred requests a day behaves nothing "
            "like a service handling a million. Record expected users, daily requests and "
            "the peak rate per minute or second, together with the assumptions behind them "
            "such as business hours, seasonality or a planned rollout to more teams."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s1-latency-target",
        "step": 1,
        "title": "Set a p95 latency target for each interaction type",
        "guidance": (
            "Users start to find an assistant slow beyond two to three seconds, and "
            "retrieval, tool calls and long outputs each add to the wait. State the target "
            "as a p95, never an average, and say what it measures: time to first token for "
            "streamed chat, full completion for batch or agent tasks."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s1-error-rate-target",
        "step": 1,
        "title": "Set an error-rate target and define what counts as an error",
        "guidance": (
            "Provider timeouts, rate-limit responses, malformed structured output and "
            "guardrail refusals all look different in the logs. Decide which of them count "
            "as errors and the highest acceptable daily rate, so that monitoring and the "
            "step 7 gate measure the same thing."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s1-quality-target",
        "step": 1,
        "title": "Name the quality score that counts and set its target",
        "guidance": (
            "LLM answers cannot be judged by pass or fail unit tests alone, so the project "
            "must pick the single score its gates will use, such as answer correctness, "
            "groundedness for a RAG assistant or task success rate for an agent. Record "
            "the score name, how it is computed and the target value; steps 6 and 7 "
            "compare against exactly this."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s1-uptime-target",
        "step": 1,
        "title": "Set an uptime target and allowed maintenance windows",
        "guidance": (
            "Availability depends on the model provider as much as on the project's own "
            "stack, so the target should take the provider's SLA and any fallback model "
            "into account. Record the monthly target, planned maintenance windows and "
            "which source will measure availability."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s1-data-classification",
        "step": 1,
        "title": "Classify the data the system reads, stores and produces",
        "guidance": (
            "Prompts, retrieved documents, conversation history, traces and model outputs "
            "can all carry sensitive data, and the classification decides which security "
            "controls apply in step 3. Record the highest class across all of them and the "
            "kinds of data involved, such as personal data, health records or payment "
            "data."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s1-compliance-scope",
        "step": 1,
        "title": "Confirm which compliance frameworks apply to the project",
        "guidance": (
            "Frameworks such as HIPAA, PCI DSS, GDPR or the EU AI Act add controls and can "
            "rule out model providers, regions or features. Have the compliance team "
            "confirm the list and attach their answer; an empty list should be a recorded "
            "decision, not an omission."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s1-monthly-budget",
        "step": 1,
        "title": "Set the monthly model budget and a cost-per-request ceiling",
        "guidance": (
            "At production volume the wrong model choice can multiply spend tenfold or "
            "more. Set a monthly budget in USD for model usage, derive a cost-per-request "
            "ceiling from the expected volume, and run the cost projection comparing a "
            "routed small and large model setup with a single large model."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 80,
    },
    {
        "key": "s1-infra-constraints",
        "step": 1,
        "title": "Record cloud, region and infrastructure constraints",
        "guidance": (
            "Approved cloud accounts, data residency regions, network egress rules and "
            "whether data may leave the company for a hosted model API all narrow the "
            "architecture and provider choice. Record them now, including any need for "
            "private endpoints or self-hosted open-weight models."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s1-integration-points",
        "step": 1,
        "title": "List integration points with existing systems",
        "guidance": (
            "Identity providers, document stores for retrieval, CRM, ticketing or ERP "
            "systems an agent must call, and downstream consumers of its output are where "
            "much of the delivery time goes. List each with its owner, interface and "
            "whether the AI system only reads from it or also writes to it."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 100,
    },
    {
        "key": "s1-success-criteria",
        "step": 1,
        "title": "Define measurable business success criteria",
        "guidance": (
            "Technical targets show the system works; success criteria show it is worth "
            "running, such as the deflection rate of a support bot, handling time saved by "
            "a copilot or weekly active users after launch. Each criterion needs a "
            "baseline, a target, a way to measure it and a date."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 110,
    },
    {
        "key": "s1-requirements-approved",
        "step": 1,
        "title": "Get the requirements document approved by the PM",
        "guidance": (
            "Later gates read their targets from the approved version, so every later "
            "change should be a new approved version rather than a silent edit. Evidence "
            "is the approved requirements version in Runway or a link to the signed "
            "document."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 120,
    },
    {
        "key": "s1-model-choice-rationale",
        "step": 1,
        "title": "Record model choice drivers and the intended routing tiers",
        "guidance": (
            "Latency, cost, accuracy and context window pull model choice in different "
            "directions, and most production systems send the simple majority of requests "
            "to a small model and only the hard ones to a large model. Note the candidate "
            "models, the intended tiers and whether retrieval will raise accuracy instead "
            "of a bigger model."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 130,
    },
    {
        "key": "s1-build-vs-partner",
        "step": 1,
        "title": "Score the build in-house versus partner decision",
        "guidance": (
            "Internal AI and ML expertise, DevOps capacity, industry compliance knowledge, "
            "timeline pressure and long-term maintenance capacity decide whether the team "
            "can take the project to production alone. Run the weighted scoring and keep "
            "the recommendation with its reasoning."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    {
        "key": "s1-failure-behaviour",
        "step": 1,
        "title": "Define fallback behaviour and unacceptable outcomes",
        "guidance": (
            "Decide up front what users see when the model is slow, unavailable or "
            "refuses: a smaller fallback model, a hand-off to a person or a clear error "
            "message. Listing outcomes that must never happen, such as advice outside "
            "policy or another customer's data, also sets the scope for evaluation and "
            "red-team testing."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 150,
    },
    # --- Step 2: Gap assessment --------------------------------------------------------
    {
        "key": "s2-prototype-inventory",
        "step": 2,
        "title": "Inventory the prototype's components, origin and services",
        "guidance": (
            "The assessment needs a shared picture of what exists: where the prototype "
            "came from (ChatGPT or Claude, Bolt, Lovable, v0, Replit or hand-written), its "
            "repositories, prompts, models, data sources and hosting. Attach an "
            "architecture sketch and the list of third-party services and keys it "
            "currently uses."
        ),
        "required": False,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s2-arch-hardcoded-keys",
        "step": 2,
        "title": "Scan the prototype and its history for hard-coded keys",
        "guidance": (
            "Prototypes often embed model provider keys in source files, notebooks or "
            "front-end bundles, where they leak through repositories and browser tools. "
            "Run a secret scanner over the code and its full git history and attach the "
            "report; every key found must be rotated, not just deleted."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s2-arch-modularity",
        "step": 2,
        "title": "Assess single-file code and tight coupling",
        "guidance": (
            "One script that mixes interface, prompts, retrieval and provider calls cannot "
            "be tested, scaled or handed to another team. Record how the code should split "
            "into API, data, inference, integration and monitoring layers, and which "
            "generated parts need a rewrite rather than a refactor."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s2-arch-service-layer",
        "step": 2,
        "title": "Check for a service layer and a model provider abstraction",
        "guidance": (
            "Calling one vendor's SDK straight from request handlers ties the project to "
            "that vendor and blocks routing between models. Note whether an interface "
            "separates business logic from model calls, and what adding one would take."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s2-security-gaps",
        "step": 2,
        "title": "Assess authentication, authorization, encryption and secrets",
        "guidance": (
            "Demos usually run without login, show everyone everything and keep data "
            "unencrypted in local files or vector stores. Rate the current state of each "
            "control against the project's data class and list every missing one as a gap "
            "for step 3."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s2-data-gaps",
        "step": 2,
        "title": "Assess data sources, ETL and data-quality checks",
        "guidance": (
            "A prototype that shines on a curated sample has not yet met real documents, "
            "missing fields and changing schemas. Record which inputs are sample or "
            "synthetic, which real sources will replace them, and where ETL and quality "
            "checks are missing."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s2-eval-gaps",
        "step": 2,
        "title": "Assess evaluation sets and tracking of non-deterministic output",
        "guidance": (
            "If quality was judged by trying a handful of prompts in a demo, there is no "
            "evidence the system works beyond those examples. Record whether an evaluation "
            "set exists, how answers are scored, whether results are tracked across prompt "
            "and model versions, and the distance to the step 1 quality target."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s2-ops-gaps",
        "step": 2,
        "title": "Assess logging, monitoring, alerting and incident response",
        "guidance": (
            "Prototypes rarely record prompts, responses, token counts or errors in a form "
            "anyone can query, and nobody is paged when they break. Rate each of the four "
            "against the uptime and error-rate targets and list what is missing."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 80,
    },
    {
        "key": "s2-maturity-ratings",
        "step": 2,
        "title": "Rate current and target maturity for all five areas",
        "guidance": (
            "A level today and a target level per area make the remaining work visible and "
            "comparable across the portfolio. Record both in the Runway assessment so that "
            "the trend shows as remediation progresses."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s2-gap-owners",
        "step": 2,
        "title": "Give every gap an owner, a remediation and a target date",
        "guidance": (
            "Gaps without owners tend to reappear the week before launch. Each finding "
            "needs a named owner, a remediation mapped to the step where it will close, "
            "such as secrets in step 5 or the evaluation set in step 6, and a target date."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 100,
    },
    {
        "key": "s2-generator-lock-in",
        "step": 2,
        "title": "Check code export and platform lock-in of the prototype tool",
        "guidance": (
            "Prototypes built with hosted or no-code generators may rely on the platform's "
            "runtime, database or authentication. Confirm the code can be exported and run "
            "outside the tool, or record the rewrite as a gap."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 110,
    },
    {
        "key": "s2-prompt-tool-inventory",
        "step": 2,
        "title": "Inventory prompts, tools and agent actions",
        "guidance": (
            "System prompts, few-shot examples and tool definitions are production logic, "
            "yet they often live inline in code or in a provider console. List each one, "
            "what it can read or change and whether it is versioned; tools with write "
            "access are the riskiest entries."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 120,
    },
    {
        "key": "s2-licences-and-terms",
        "step": 2,
        "title": "Review dependency licences and model provider terms",
        "guidance": (
            "Open-weight model licences, provider terms on data retention and training, "
            "and unmaintained packages can each block a launch late in the day. List them "
            "with their licence or terms and flag those that need legal review."
        ),
        "required": False,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 130,
    },
    {
        "key": "s2-effort-vs-timeline",
        "step": 2,
        "title": "Compare remediation effort with the launch timeline",
        "guidance": (
            "Adding up the remediation estimates against the launch date shows early "
            "whether the plan holds, needs re-scoping or needs outside help. Feed the "
            "result back into the build-versus-partner scoring."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    # --- Step 3: Security & compliance -------------------------------------------------
    {
        "key": "s3-authentication",
        "step": 3,
        "title": "Require sign-in through the company identity provider",
        "guidance": (
            "Every person and calling service must be identified before a prompt reaches "
            "the model, both to protect data and to attribute cost and abuse. Use SSO with "
            "MFA for people and scoped credentials for services; evidence is the identity "
            "provider configuration or an integration test."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s3-rbac",
        "step": 3,
        "title": "Enforce role-based access to features, documents and tools",
        "guidance": (
            "An assistant must never become a way around existing permissions: retrieval "
            "and tool calls should return only what the signed-in user could see in the "
            "source system. Document the roles and show tests proving one user cannot "
            "retrieve another role's or tenant's documents."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s3-encryption-in-transit",
        "step": 3,
        "title": "Encrypt all traffic in transit with current TLS",
        "guidance": (
            "Prompts and answers carry the same sensitive data as the source systems, "
            "including on calls to the model provider, the vector store and internal APIs. "
            "Evidence is the TLS configuration or a scan result for every endpoint, "
            "internal hops included."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s3-encryption-at-rest",
        "step": 3,
        "title": "Encrypt data at rest, including vector stores, caches and logs",
        "guidance": (
            "Embeddings, conversation history, prompt traces and response caches are "
            "copies of the source data and are easily forgotten. Show encryption at rest "
            "for each store, with customer-managed keys where the data class or a "
            "framework requires them."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s3-secrets-vault",
        "step": 3,
        "title": "Take secrets out of code and rotate every exposed key",
        "guidance": (
            "Any key found during the gap assessment must be treated as compromised. "
            "Rotate it, then load secrets at runtime from a secrets manager; evidence is a "
            "clean secret scan of the repository and the rotation record."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s3-prompt-injection-input",
        "step": 3,
        "title": "Validate input and isolate untrusted content from instructions",
        "guidance": (
            "Users, and documents pulled into context, can carry instructions that make "
            "the model ignore its system prompt, leak data or misuse tools. Enforce length "
            "and format limits, keep untrusted content clearly delimited from "
            "instructions, add an injection detector where the risk warrants it, and "
            "attach results from known injection patterns."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s3-output-filtering",
        "step": 3,
        "title": "Filter and validate model output before it reaches users or tools",
        "guidance": (
            "Output can contain a leaked system prompt, unsafe content, or markup and code "
            "that a browser or downstream system would execute. Validate structured output "
            "against a schema, escape anything rendered, apply a content policy filter and "
            "attach its test cases."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s3-pii-masking",
        "step": 3,
        "title": "Mask personal data in model outputs and stored traces",
        "guidance": (
            "A model can repeat personal data from its context or retrieved documents to a "
            "user who should not see it, and trace logs quietly accumulate it. Detect and "
            "redact personal data in responses and in stored prompts and traces, and show "
            "tests seeded with sample personal data."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": "confidential",
        "order": 80,
    },
    {
        "key": "s3-audit-logging",
        "step": 3,
        "title": "Log access, prompts, retrieved sources, tool calls and admin changes",
        "guidance": (
            "After an incident the team must be able to reconstruct who asked what, which "
            "context was retrieved, what the model answered and what actions followed. "
            "Write these events with user identity and time to an append-only store with a "
            "defined retention period; evidence is a sample entry and the retention "
            "setting."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s3-agent-least-privilege",
        "step": 3,
        "title": "Give agent tools least privilege and confirm irreversible actions",
        "guidance": (
            "An agent that can send email, change records or run code turns a successful "
            "prompt injection into a real-world action. Give each tool the narrowest "
            "credentials it needs, require human confirmation for irreversible actions and "
            "cap the number of tool calls per task; mark not applicable if the system "
            "calls no tools."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 100,
    },
    {
        "key": "s3-provider-data-terms",
        "step": 3,
        "title": "Confirm the model provider's data retention and training terms",
        "guidance": (
            "Prompts sent to a hosted model may be stored, reviewed or used for training "
            "unless the contract or account settings say otherwise. Record the provider's "
            "retention period, the training opt-out, the processing region and any "
            "zero-retention agreement."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": "internal",
        "order": 110,
    },
    {
        "key": "s3-vendor-security-review",
        "step": 3,
        "title": "Complete security reviews of the AI vendors in the data path",
        "guidance": (
            "Model APIs, vector databases and LLM observability tools all receive "
            "production data. Each needs a vendor security assessment, such as a current "
            "SOC 2 report, on file before real data flows to it."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": "confidential",
        "order": 120,
    },
    {
        "key": "s3-retention-deletion",
        "step": 3,
        "title": "Set retention and deletion for prompts, responses and embeddings",
        "guidance": (
            "Conversation history and traces are useful for debugging and evaluation but "
            "become a liability if kept forever. Set a retention period per store, "
            "automate deletion, and make sure removing a source document also removes its "
            "chunks and embeddings."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": "confidential",
        "order": 130,
    },
    {
        "key": "s3-rate-limits",
        "step": 3,
        "title": "Apply per-user rate limits and token caps",
        "guidance": (
            "Unlimited access lets one user or script exhaust the model budget or the "
            "provider quota for everyone. Limit requests and tokens per user and per key, "
            "and cap the maximum output tokens of each call."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    {
        "key": "s3-threat-model",
        "step": 3,
        "title": "Threat-model the system against the OWASP Top 10 for LLM apps",
        "guidance": (
            "Walk the project's data flows through prompt injection, sensitive information "
            "disclosure, insecure output handling, excessive agency and supply-chain "
            "risks. Record each threat found with the control that addresses it; the "
            "document gives the reviewer a map of the controls."
        ),
        "required": False,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 150,
    },
    {
        "key": "s3-hipaa-baa",
        "step": 3,
        "title": "Sign a BAA with the model provider and every vendor handling PHI",
        "guidance": (
            "Sending PHI to a model API without a business associate agreement is a "
            "violation even if nothing ever leaks. Obtain a BAA from the model provider "
            "and each vendor in the path, including hosting, vector store and "
            "observability, and use only the services and endpoints the agreement covers."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["hipaa"],
        "min_classification": None,
        "order": 160,
    },
    {
        "key": "s3-hipaa-minimum-necessary",
        "step": 3,
        "title": "Limit PHI in prompts and context to the minimum necessary",
        "guidance": (
            "Prompts and retrieved context should include only the PHI the task needs; "
            "identifiers that do not change the answer should be stripped or pseudonymised "
            "first. Document the fields allowed into prompts and show the filtering in "
            "code or tests."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["hipaa"],
        "min_classification": None,
        "order": 170,
    },
    {
        "key": "s3-hipaa-access-logs",
        "step": 3,
        "title": "Log access to PHI and retain the logs for the required period",
        "guidance": (
            "Activity on systems holding PHI must be reviewable, and the prompts, "
            "retrieved records and answers of an AI system count as such activity. Show "
            "that these logs record who accessed which patient data, are reviewed "
            "regularly and are kept for the period the compliance team sets, commonly six "
            "years."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["hipaa"],
        "min_classification": None,
        "order": 180,
    },
    {
        "key": "s3-soc2-change-management",
        "step": 3,
        "title": "Put prompts, model versions and config under change control",
        "guidance": (
            "A new system prompt or model version changes production behaviour just as a "
            "code change does. Show that such changes go through review and approval with "
            "a record of who approved them and when, for example pull requests with "
            "required reviewers."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["soc2"],
        "min_classification": None,
        "order": 190,
    },
    {
        "key": "s3-soc2-access-reviews",
        "step": 3,
        "title": "Run periodic access reviews for the AI system and its vendors",
        "guidance": (
            "Access to production data, provider consoles, API keys and observability "
            "tools tends to grow unnoticed. Review it at least quarterly, record removals "
            "and keep the signed review."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["soc2"],
        "min_classification": None,
        "order": 200,
    },
    {
        "key": "s3-pci-no-cardholder-data",
        "step": 3,
        "title": "Keep cardholder data out of prompts, context and logs",
        "guidance": (
            "A card number sent to a model brings the provider, the traces and the vector "
            "store into PCI scope. Detect and block card numbers and security codes in "
            "user input before it reaches the model or the logs, and attach test results "
            "with sample card numbers."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["pci_dss"],
        "min_classification": None,
        "order": 210,
    },
    {
        "key": "s3-pci-tokenisation",
        "step": 3,
        "title": "Use payment tokens instead of card data inside the AI system",
        "guidance": (
            "When the assistant needs to refer to a payment, it should handle a token from "
            "the payment vault and never the card number itself. Document the token flow "
            "and confirm with the PCI assessor that the AI components stay outside the "
            "cardholder data environment."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["pci_dss"],
        "min_classification": None,
        "order": 220,
    },
    {
        "key": "s3-gdpr-lawful-basis",
        "step": 3,
        "title": "Record the lawful basis for each purpose of processing",
        "guidance": (
            "Every purpose for which personal data enters prompts, retrieval or logs needs "
            "a lawful basis, and reusing conversations to improve prompts or models is a "
            "separate purpose. Record each purpose and its basis in the record of "
            "processing activities."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["gdpr"],
        "min_classification": None,
        "order": 230,
    },
    {
        "key": "s3-gdpr-data-subject-requests",
        "step": 3,
        "title": "Fulfil access and erasure requests across all AI data stores",
        "guidance": (
            "A person's data may sit in conversation history, vendor-hosted traces, "
            "embeddings and evaluation sets at once. Document how a request is located and "
            "fulfilled across all of them within the legal deadline, and test the "
            "procedure once."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["gdpr"],
        "min_classification": None,
        "order": 240,
    },
    {
        "key": "s3-gdpr-dpia",
        "step": 3,
        "title": "Complete a data protection impact assessment",
        "guidance": (
            "Processing personal data at scale with a new technology such as an LLM "
            "usually calls for a DPIA. Attach the assessment with the data protection "
            "officer's opinion, or the screening record explaining why one is not needed."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["gdpr"],
        "min_classification": None,
        "order": 250,
    },
    {
        "key": "s3-gdpr-data-residency",
        "step": 3,
        "title": "Keep personal data in approved regions and cover any transfers",
        "guidance": (
            "Model APIs may process requests outside the EU unless a regional endpoint is "
            "chosen. Use regional processing where required, and for any transfer outside "
            "the EEA record the transfer mechanism for the provider and its "
            "sub-processors."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["gdpr"],
        "min_classification": None,
        "order": 260,
    },
    {
        "key": "s3-euaia-risk-classification",
        "step": 3,
        "title": "Classify the system under the EU AI Act risk tiers",
        "guidance": (
            "Obligations depend on whether the system is prohibited, high-risk (used in "
            "hiring, credit or access to essential services, for instance), subject to "
            "transparency duties or minimal risk. Record the classification, the reasoning "
            "and the compliance team's agreement; a high-risk result brings a much larger "
            "set of obligations."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["eu_ai_act"],
        "min_classification": None,
        "order": 270,
    },
    {
        "key": "s3-euaia-transparency",
        "step": 3,
        "title": "Tell users they are interacting with an AI system",
        "guidance": (
            "People must be told when they are talking to a chatbot or receiving "
            "AI-generated content, unless it is obvious from the context. Show the notice "
            "in the interface and any labelling of generated content."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["eu_ai_act"],
        "min_classification": None,
        "order": 280,
        # Art. 50(1): also a duty of high-risk systems that talk to people.
        "ai_act_tiers": ["high", "limited"],
    },
    {
        "key": "s3-euaia-human-oversight",
        "step": 3,
        "title": "Design human oversight for outputs that affect people",
        "guidance": (
            "Someone must be able to understand, override or stop the system where its "
            "output affects people. Document who oversees it, what they see and how they "
            "intervene, such as review queues for high-impact answers and a switch that "
            "turns the feature off."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["eu_ai_act"],
        "min_classification": None,
        "order": 290,
        "ai_act_tiers": ["high"],  # Art. 14
    },
    {
        "key": "s3-iso42001-aims-scope",
        "step": 3,
        "title": "Bring the system into the AI management system scope",
        "guidance": (
            "The organisation's AI management system must cover this system, with the "
            "policies, roles and objectives that apply to it. Record its entry in the AIMS "
            "scope and its accountable owner."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["iso_42001"],
        "min_classification": None,
        "order": 300,
    },
    {
        "key": "s3-iso42001-risk-assessment",
        "step": 3,
        "title": "Complete the AI risk and impact assessment",
        "guidance": (
            "The standard expects AI-specific risks such as bias, misuse, opacity and "
            "impact on people to be assessed and treated. Attach the assessment and the "
            "controls chosen, with their references in the statement of applicability."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["iso_42001"],
        "min_classification": None,
        "order": 310,
    },
    {
        "key": "s3-nist-rmf-profile",
        "step": 3,
        "title": "Document how the system is mapped, measured and managed",
        "guidance": (
            "The framework asks that the system's context and risks are mapped, measured "
            "with defined metrics and managed with prioritised responses, under a "
            "governing policy. Attach the profile for this system and link its measures to "
            "the step 6 evaluation results."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": ["nist_ai_rmf"],
        "min_classification": None,
        "order": 320,
    },
    # --- Step 4: Data & integrations ---------------------------------------------------
    {
        "key": "s4-source-inventory",
        "step": 4,
        "title": "Identify the production data sources and their owners",
        "guidance": (
            "Every sample or synthetic input from the prototype needs a real source whose "
            "owner agrees to its use. Record the system, owner, access method, refresh "
            "frequency and data class of each source."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s4-etl-pipelines",
        "step": 4,
        "title": "Build ETL pipelines as versioned, scheduled, re-runnable code",
        "guidance": (
            "Manual exports and one-off scripts do not survive production. Pipelines "
            "should live in the repository, run under a scheduler or orchestrator and be "
            "safe to re-run; evidence is the pipeline repository and a successful "
            "scheduled run."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s4-data-quality-checks",
        "step": 4,
        "title": "Add data-quality checks that stop bad data from loading",
        "guidance": (
            "Empty documents, duplicates, encoding errors, stale records and schema drift "
            "silently degrade answers. Check completeness, freshness, uniqueness and "
            "schema on every run and quarantine a failing batch instead of loading it; "
            "attach the check definitions and a recent report."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s4-schema-query-design",
        "step": 4,
        "title": "Design schemas, indexes and queries for production load",
        "guidance": (
            "Conversation history, user state, feedback and retrieval metadata filters hit "
            "the database on every request. Review the schema and indexes against the real "
            "query patterns at peak volume and confirm query time fits inside the latency "
            "budget."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s4-connection-pooling",
        "step": 4,
        "title": "Pool connections to databases, vector stores and APIs",
        "guidance": (
            "At peak volume, opening a connection per request exhausts database limits and "
            "adds latency to every answer. Configure pools and client timeouts for each "
            "backing service, sized from the step 1 peak rate."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s4-batch-vs-realtime",
        "step": 4,
        "title": "Choose batch, streaming or on-demand feeds for each source",
        "guidance": (
            "Policy documents may only need a nightly refresh while account status must be "
            "current at the moment of the question. For each source record the feed type "
            "and the maximum staleness the use case tolerates."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s4-rag-chunking",
        "step": 4,
        "title": "Define and test the chunking strategy for the knowledge base",
        "guidance": (
            "A large context window does not rescue poor chunking: splits that cut tables "
            "in half or drop headings hurt retrieval. Choose chunk size, overlap and "
            "structure-aware splitting per document type and attach retrieval results, "
            "such as recall at k on a labelled question set; mark not applicable if the "
            "system has no retrieval."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s4-embedding-refresh",
        "step": 4,
        "title": "Keep embeddings in sync with changed and deleted sources",
        "guidance": (
            "When a document changes or is deleted at the source, its old chunks keep "
            "being retrieved and cited. Re-embed incrementally on change, remove deleted "
            "content, pin the embedding model version and plan a full re-index whenever "
            "that model changes."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 80,
    },
    {
        "key": "s4-source-provenance",
        "step": 4,
        "title": "Store source provenance and permissions with every chunk",
        "guidance": (
            "Each chunk should carry its source document, version, link, owner and access "
            "permissions. That lets answers cite their sources and lets retrieval enforce "
            "the user's permissions at query time."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s4-restricted-content-filter",
        "step": 4,
        "title": "Exclude restricted content before it is indexed",
        "guidance": (
            "Anything in the index can be retrieved and repeated by the model, so secrets, "
            "restricted HR files or out-of-scope personal data must be filtered out at "
            "ingestion, not at answer time. Document the exclusion rules and scan a sample "
            "of the index for violations."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": "confidential",
        "order": 100,
    },
    {
        "key": "s4-enterprise-integrations",
        "step": 4,
        "title": "Harden enterprise API integrations with timeouts and retries",
        "guidance": (
            "CRM, ERP, ticketing and identity APIs have rate limits, outages and their own "
            "authentication. Each integration needs least-privilege service credentials, "
            "timeouts, retries with backoff, idempotent writes and a contract test; attach "
            "the integration list and test results."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 110,
    },
    {
        "key": "s4-pipeline-failure-alerts",
        "step": 4,
        "title": "Monitor pipeline runs and alert on failures and staleness",
        "guidance": (
            "A failed nightly load goes unnoticed until users complain about outdated "
            "answers. Record success or failure, row counts and data age for every run, "
            "alert the owning team when a run fails or data grows older than the tolerated "
            "staleness, and link the dashboard."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 120,
    },
    {
        "key": "s4-production-data-run",
        "step": 4,
        "title": "Run the pipelines end to end on production data",
        "guidance": (
            "The gate needs proof that real data, not the prototype's samples, now feeds "
            "the system. Attach the run record from the production environment showing "
            "volumes loaded and checks passed."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 130,
    },
    {
        "key": "s4-backfill-recovery",
        "step": 4,
        "title": "Support backfills and restoring a known-good index",
        "guidance": (
            "Source outages and bad batches will happen. Pipelines should be able to "
            "re-run for a date range and restore the knowledge base to a previous index "
            "version; document how and test it once."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    {
        "key": "s4-data-contracts",
        "step": 4,
        "title": "Agree data contracts with upstream source owners",
        "guidance": (
            "Unannounced upstream schema changes are a common cause of silent pipeline "
            "breakage. Agree the fields, formats and notice period for changes with each "
            "source owner and validate the contract inside the pipeline."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 150,
    },
    {
        "key": "s4-feedback-storage",
        "step": 4,
        "title": "Store user feedback linked to traces for later evaluation",
        "guidance": (
            "Ratings, corrections and escalations are the best source of new evaluation "
            "cases. Store feedback linked to the trace, prompt version and model that "
            "produced the answer, under the retention rules set in step 3."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 160,
    },
    # --- Step 5: Environments ----------------------------------------------------------
    {
        "key": "s5-separate-environments",
        "step": 5,
        "title": "Separate dev, staging and production config, data and keys",
        "guidance": (
            "Sharing a model API key or a database across environments means tests spend "
            "the production budget and can touch real data. Use separate accounts or "
            "projects, provider keys and data stores per environment, configured through "
            "environment variables; attach the environment inventory."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s5-staging-parity",
        "step": 5,
        "title": "Keep staging close to production",
        "guidance": (
            "Staging should run the same images, model versions, prompt versions and index "
            "layout as production, with realistic data that is allowed to be there. List "
            "the remaining differences, such as smaller instances or a masked data copy."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s5-ci-pipeline",
        "step": 5,
        "title": "Run CI on every change: tests, prompt checks and security scans",
        "guidance": (
            "Every commit should build, pass unit and integration tests, run a fast subset "
            "of the step 6 prompt regression suite and pass secret and dependency scans. "
            "Link the CI configuration and a recent passing run."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s5-infrastructure-as-code",
        "step": 5,
        "title": "Define all infrastructure as code",
        "guidance": (
            "Hand-built cloud resources drift between environments and cannot be reviewed "
            "or rebuilt after a failure. Define compute, networking, databases, vector "
            "stores and access policies with Terraform, Pulumi, CloudFormation or similar, "
            "and link the repository."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s5-containers",
        "step": 5,
        "title": "Ship services as versioned, scanned container images",
        "guidance": (
            "Containers give every environment the same runtime and give the pipeline one "
            "exact artifact to promote or roll back. Build images in CI, tag them with the "
            "commit, scan them for vulnerabilities and deploy by immutable tag."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s5-secrets-manager",
        "step": 5,
        "title": "Keep secrets in a secrets manager, scoped per environment",
        "guidance": (
            "Model keys, database passwords and integration tokens belong in a managed "
            "secrets store, injected at runtime, scoped per environment and rotated on a "
            "schedule. Show the secret paths and the access policy, and confirm no secret "
            "appears in images or CI logs."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s5-provider-interface",
        "step": 5,
        "title": "Put model providers behind an interface that allows switching",
        "guidance": (
            "A thin gateway or service interface for completion and embedding calls lets "
            "the team change model, provider or routing without touching business logic. "
            "It is also the natural home for timeouts, retries, fallback and token "
            "accounting; show a configuration-only switch between two models in staging."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s5-promotion-via-staging",
        "step": 5,
        "title": "Promote to production only through staging, automatically",
        "guidance": (
            "The same artifact should be deployed to staging, verified by automated checks "
            "and then promoted, with no other route to production. Block direct production "
            "deploys in the pipeline and in access policies, and attach the pipeline "
            "definition."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 80,
    },
    {
        "key": "s5-rollback",
        "step": 5,
        "title": "Automate and rehearse rollback of code, prompts and model config",
        "guidance": (
            "A bad prompt or model upgrade can degrade answers without raising a single "
            "error. Make rollback one pipeline action that restores the previous image, "
            "prompt version and model settings, and record a rehearsal in staging."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s5-prompt-config-versioning",
        "step": 5,
        "title": "Version prompts and model parameters alongside the code",
        "guidance": (
            "Prompts, model names, temperature and routing rules edited in a provider "
            "console cannot be reviewed or rolled back. Keep them in the repository or a "
            "prompt registry and log the version used on every request."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 100,
    },
    {
        "key": "s5-pinned-model-versions",
        "step": 5,
        "title": "Pin model versions and track provider deprecations",
        "guidance": (
            "Model aliases that point to the latest release can change behaviour "
            "overnight. Pin dated versions, watch provider deprecation notices and run the "
            "step 6 evaluation before moving to a new version."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 110,
    },
    {
        "key": "s5-capacity-quotas",
        "step": 5,
        "title": "Size autoscaling and provider quotas for the peak load",
        "guidance": (
            "Compute and provider limits on requests and tokens per minute must cover the "
            "step 1 peak with headroom. Configure autoscaling and request quota increases "
            "well ahead of launch."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 120,
    },
    {
        "key": "s5-network-isolation",
        "step": 5,
        "title": "Isolate data stores and restrict outbound model traffic",
        "guidance": (
            "Databases, vector stores and internal APIs should not be reachable from the "
            "internet, and outbound calls should go only to approved model endpoints. Use "
            "private networking and private links to the provider where available."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": "confidential",
        "order": 130,
    },
    {
        "key": "s5-feature-flags",
        "step": 5,
        "title": "Use feature flags or traffic splitting for new prompts and models",
        "guidance": (
            "Flags and percentage rollouts let a new prompt, model or feature reach a "
            "small group first and be switched off without a deploy. Keep a list of active "
            "flags with an owner each, and remove flags once a rollout is complete."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    {
        "key": "s5-backup-recovery",
        "step": 5,
        "title": "Back up state and document disaster recovery objectives",
        "guidance": (
            "Conversation data, feedback, vector indexes and configuration need backups "
            "with a tested restore. Document recovery time and recovery point objectives "
            "consistent with the uptime target."
        ),
        "required": False,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 150,
    },
    # --- Step 6: Evaluation ------------------------------------------------------------
    {
        "key": "s6-eval-dataset",
        "step": 6,
        "title": "Build a representative, versioned evaluation data set",
        "guidance": (
            "The set should mirror real traffic: common requests, edge cases, out-of-scope "
            "questions and the mistakes that would be expensive, each with an expected "
            "answer or grading rubric written with domain experts. Version it, grow it "
            "from production failures and link it."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s6-eval-data-hygiene",
        "step": 6,
        "title": "Keep evaluation data separate from tuning data and compliant",
        "guidance": (
            "Cases used to tune prompts should not also be the test that judges them, or "
            "scores will flatter the system. Cases drawn from production conversations "
            "must follow the step 3 rules on personal data."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s6-automated-scoring",
        "step": 6,
        "title": "Score quality automatically on every prompt, model or data change",
        "guidance": (
            "Because output varies between runs, quality must be measured across the whole "
            "set, ideally with several samples per case, rather than judged from a few "
            "demos. Run the scoring in a pipeline, store results with the prompt, model "
            "and index versions, and link a run."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s6-score-trend",
        "step": 6,
        "title": "Track quality scores over time on a shared dashboard",
        "guidance": (
            "A trend shows whether changes improve the system or quietly degrade it, and "
            "it is how drift is noticed after launch. Chart the score named in step 1 and "
            "supporting measures such as groundedness or refusal rate per version."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s6-judge-calibration",
        "step": 6,
        "title": "Calibrate model-graded scoring against human labels",
        "guidance": (
            "Using an LLM as judge is fast and cheap but can be lenient or biased toward "
            "certain styles. Compare its scores with human labels on a sample, record the "
            "agreement rate, and pin the judge prompt and model version."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s6-human-review",
        "step": 6,
        "title": "Have domain experts review a sample of outputs",
        "guidance": (
            "Experts catch errors that automated scores miss, especially in regulated or "
            "high-stakes answers. Define a sampling rate, a rubric and where results are "
            "recorded, and add confirmed failures to the evaluation set."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s6-prompt-regression",
        "step": 6,
        "title": "Add regression tests for prompts and previously fixed failures",
        "guidance": (
            "Every defect found, such as a wrong refusal, an invented policy or broken "
            "JSON output, should become a test case so it cannot quietly return. Run the "
            "suite in CI and block merges that fail it."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s6-retrieval-eval",
        "step": 6,
        "title": "Evaluate retrieval separately from generation",
        "guidance": (
            "When a RAG answer is wrong, the fault may lie in retrieval or in generation. "
            "Measure retrieval hit rate and answer groundedness separately so fixes go to "
            "the right layer; mark not applicable if the system has no retrieval."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 80,
    },
    {
        "key": "s6-agent-task-eval",
        "step": 6,
        "title": "Test agent tool use and multi-step tasks end to end",
        "guidance": (
            "Agents fail in ways single-turn tests miss: the wrong tool, loops or "
            "half-finished actions. Run scripted tasks against sandboxed or staging tools "
            "and score task success, steps taken and cost per task."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s6-load-test",
        "step": 6,
        "title": "Load-test at the target peak volume",
        "guidance": (
            "Drive staging at the step 1 peak rate and beyond with realistic prompt and "
            "output sizes, measuring p95 latency, error rate, provider rate-limit "
            "responses and cost per request. Attach the report and confirm provider quotas "
            "cover the result."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 100,
    },
    {
        "key": "s6-red-team",
        "step": 6,
        "title": "Run red-team and adversarial tests",
        "guidance": (
            "Attack the system with direct and indirect prompt injection, jailbreaks, "
            "system prompt extraction, data exfiltration attempts, toxic or biased "
            "requests and tool misuse. Record attempts, outcomes and fixes; open "
            "high-severity findings block the gate."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 110,
    },
    {
        "key": "s6-bias-fairness",
        "step": 6,
        "title": "Check quality and refusal rates across user groups and languages",
        "guidance": (
            "Where answers affect people, such as eligibility, hiring or support priority, "
            "quality should not differ across the groups or languages the system serves. "
            "Break the scores down by segment and investigate any gap."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 120,
    },
    {
        "key": "s6-routing-eval",
        "step": 6,
        "title": "Evaluate model routing against a single large model baseline",
        "guidance": (
            "If a small model is meant to serve most traffic, check that the router "
            "escalates hard cases and that quality on routed traffic still meets the "
            "target. Compare cost and quality with a single-large-model baseline."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 130,
    },
    {
        "key": "s6-cost-per-request-check",
        "step": 6,
        "title": "Check measured cost per request against the budget",
        "guidance": (
            "Evaluation and load-test runs give real token counts per request. Multiply "
            "them by the expected volume and tier mix and compare with the monthly budget "
            "before launch, not after the first invoice."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    {
        "key": "s6-quality-gate",
        "step": 6,
        "title": "Confirm the quality score meets the step 1 target",
        "guidance": (
            "This is the gate: the named score, measured by the automated framework on the "
            "current evaluation set and release candidate, must meet or beat the approved "
            "target. Attach the run and note the spread across repeated runs, since one "
            "lucky run is not proof."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 150,
    },
    # --- Step 7: Deploy & monitor ------------------------------------------------------
    {
        "key": "s7-request-tracing",
        "step": 7,
        "title": "Trace every production request with latency, tokens and cost",
        "guidance": (
            "Per-request traces with model, prompt version, input and output tokens, "
            "latency and cost underpin every later decision about the system. Connect the "
            "observability source to Runway and link its dashboard."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 10,
    },
    {
        "key": "s7-latency-error-monitoring",
        "step": 7,
        "title": "Monitor p95 latency and error rate against targets",
        "guidance": (
            "Track the daily p95 latency and the error rate as step 1 defined them, "
            "including provider timeouts and rate-limit responses, on production traffic "
            "only. Link the dashboard panels."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 20,
    },
    {
        "key": "s7-cost-monitoring",
        "step": 7,
        "title": "Monitor cost per request and spend against the monthly budget",
        "guidance": (
            "Use the provider's billed cost where available and watch cost per request, "
            "cost by model tier and the month-end forecast. Alerts should fire before the "
            "budget is reached, not after."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 30,
    },
    {
        "key": "s7-quality-monitoring",
        "step": 7,
        "title": "Score a sample of live traffic for response quality",
        "guidance": (
            "Scoring a sample of production answers with the step 6 evaluator shows a drop "
            "from a provider model update, changed source data or new kinds of questions "
            "within days. Link the quality trend."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 40,
    },
    {
        "key": "s7-user-feedback",
        "step": 7,
        "title": "Collect user feedback and triage negative responses",
        "guidance": (
            "Ratings and comments linked to the trace show where users are unhappy. Review "
            "negative feedback on a fixed cadence and turn confirmed failures into "
            "evaluation cases."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 50,
    },
    {
        "key": "s7-pipeline-health",
        "step": 7,
        "title": "Show data-pipeline failures on the operational dashboard",
        "guidance": (
            "Stale or failed loads reach users as wrong answers, so pipeline health from "
            "step 4 belongs next to latency and error rate. The on-call engineer should "
            "see both in one place."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 60,
    },
    {
        "key": "s7-alerting",
        "step": 7,
        "title": "Define alerts with thresholds derived from the step 1 targets",
        "guidance": (
            "Alert on latency and error-rate breaches, cost spikes, quality drops, "
            "pipeline failures and provider outages, each routed to the on-call channel. "
            "Link the alert rules and their thresholds."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 70,
    },
    {
        "key": "s7-oncall-runbook",
        "step": 7,
        "title": "Staff on-call and write an AI incident response runbook",
        "guidance": (
            "The runbook should cover AI-specific incidents, such as a provider outage, "
            "runaway cost, harmful or leaking output or injection in the wild, with "
            "actions like switching to a fallback model, turning off a feature or rolling "
            "back a prompt. Name the rotation and link the runbook."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 80,
    },
    {
        "key": "s7-operating-owner",
        "step": 7,
        "title": "Name the operating owner for the live system",
        "guidance": (
            "Someone must stay accountable for budget, quality, incidents and model "
            "upgrades after the project team moves on. Record the person and their team; "
            "the gate needs it."
        ),
        "required": True,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 90,
    },
    {
        "key": "s7-launch-plan",
        "step": 7,
        "title": "Publish the launch communication and rollback plan",
        "guidance": (
            "Stakeholders, support teams and users should know what launches, when, and "
            "how to report problems. Link the plan with the go or no-go checklist and the "
            "criteria that trigger a rollback."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 100,
    },
    {
        "key": "s7-targets-over-window",
        "step": 7,
        "title": "Verify the step 1 targets hold over the gate window",
        "guidance": (
            "The gate is met when latency, error rate, cost and quality hold on production "
            "traffic for the stated window, seven days by default. Review the daily series "
            "rather than one averaged figure and record the result."
        ),
        "required": True,
        "evidence_required": True,
        "frameworks": [],
        "min_classification": None,
        "order": 110,
    },
    {
        "key": "s7-gradual-rollout",
        "step": 7,
        "title": "Roll out gradually through a pilot group or canary",
        "guidance": (
            "Starting with a pilot group or a small share of traffic limits the impact of "
            "problems testing did not catch. Widen exposure only while the targets hold."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 120,
    },
    {
        "key": "s7-model-routing",
        "step": 7,
        "title": "Route simple requests to smaller, cheaper models",
        "guidance": (
            "Sending the easy majority of requests, often 70 to 80 percent, to a small "
            "fast model and escalating the rest can cut cost sharply with little quality "
            "loss. Measure quality per tier before and after the change."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 130,
    },
    {
        "key": "s7-caching",
        "step": 7,
        "title": "Cache repeated prompts and answers where it is safe",
        "guidance": (
            "Provider prompt caching and exact or semantic response caching cut cost and "
            "latency for repeated questions. Cached answers must respect user permissions "
            "and expire when the source data changes."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 140,
    },
    {
        "key": "s7-provider-failover",
        "step": 7,
        "title": "Fail over to a secondary model or provider",
        "guidance": (
            "Provider outages and rate limits happen; a fallback model behind the step 5 "
            "interface keeps the service within its uptime target. Test the failover under "
            "production-like conditions."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 150,
    },
    {
        "key": "s7-post-launch-review",
        "step": 7,
        "title": "Hold a post-launch review and set an improvement cadence",
        "guidance": (
            "After the first month, compare the success criteria with their baselines and "
            "revisit model choice, routing and prompts with real usage data. Plan the next "
            "iteration from the findings."
        ),
        "required": False,
        "evidence_required": False,
        "frameworks": [],
        "min_classification": None,
        "order": 160,
    },
]


# The EU AI Act tiers (projects.models.AiActTier) an item may be tied to.
AI_ACT_TIERS = ["prohibited", "high", "limited", "minimal"]


def _obligation(
    key: str,
    step: int,
    title: str,
    guidance: str,
    tiers: list[str],
    order: int,
    *,
    evidence_required: bool = True,
) -> dict[str, Any]:
    return {
        "key": key,
        "step": step,
        "title": title,
        "guidance": guidance,
        "required": True,
        "evidence_required": evidence_required,
        "frameworks": [],
        "min_classification": None,
        "order": order,
        "ai_act_tiers": tiers,
    }


# Obligations that come with a project's EU AI Act tier (risks.ai_act), whatever its
# frameworks. Human oversight (Art. 14) and telling people they deal with an AI
# (Art. 50(1)) reuse the framework's s3-euaia-* items above.
AI_ACT_CHECKLIST: list[dict[str, Any]] = [
    _obligation(
        "s1-euaia-prohibited-practice",
        1,
        "Stop the prohibited practice before any other work",
        "The AI Act questionnaire found a practice that Article 5 prohibits. Such a "
        "system may not be placed on the market, put into service or used in the EU. "
        "The project must change course first: drop the practice (then answer the "
        "questionnaire again) or stop the project. Record the decision and who took it, "
        "with the legal team's view.",
        ["prohibited"],
        5,
    ),
    _obligation(
        "s3-euaia-risk-management",
        3,
        "Run a risk management system for the AI system (Art. 9)",
        "High-risk systems need a documented risk management process over their whole "
        "life: identify and estimate the known and foreseeable risks to health, safety "
        "and fundamental rights, adopt measures against them, test them and review "
        "them. The project's risk register is where it starts; record how it is kept "
        "up to date after launch.",
        ["high"],
        275,
    ),
    _obligation(
        "s3-euaia-deep-fake-disclosure",
        3,
        "Disclose deep fakes and AI-written public-interest text (Art. 50(4))",
        "Image, audio or video content that resembles real people, places or events "
        "and would falsely appear authentic must be disclosed as artificially generated "
        "or manipulated, and so must AI-generated text published to inform the public "
        "on matters of public interest unless a person reviewed it and takes editorial "
        "responsibility. Show how the disclosure appears; if the system makes no such "
        "content, mark this item not applicable with that reason.",
        ["limited", "high"],
        285,
    ),
    _obligation(
        "s3-euaia-fundamental-rights-impact",
        3,
        "Assess the impact on fundamental rights where required (Art. 27)",
        "Deployers that are public bodies or provide public services, and deployers "
        "using AI for credit scoring or for life and health insurance pricing, must "
        "assess the impact on fundamental rights before first use: the process, who is "
        "affected, the specific risks of harm, human oversight and what happens when "
        "the risks materialise, and notify the market surveillance authority. If none "
        "of this applies to the project, mark the item not applicable with the reason.",
        ["high"],
        295,
    ),
    _obligation(
        "s4-euaia-data-governance",
        4,
        "Govern training, validation and test data (Art. 10)",
        "Data sets used to train, validate or test the system (fine-tuning, evaluation "
        "sets, retrieval sources that shape outputs) need documented governance: where "
        "the data comes from and how it was collected and prepared, its relevance, "
        "representativeness and known gaps, and the checks for biases that could harm "
        "people or lead to discrimination.",
        ["high"],
        170,
    ),
    _obligation(
        "s5-euaia-technical-documentation",
        5,
        "Write the technical documentation (Art. 11, Annex IV)",
        "Before the system is placed on the market or put into service, draw up the "
        "technical documentation Annex IV lists: the intended purpose, the design and "
        "architecture, the data, the evaluation and its metrics, the human oversight "
        "measures, the risk management and the changes made over time. Keep it up to "
        "date; the authorities may ask for it.",
        ["high"],
        160,
    ),
    _obligation(
        "s5-euaia-deployer-instructions",
        5,
        "Give deployers instructions for use (Art. 13)",
        "Those who run the system must be able to understand its output and use it "
        "properly: write instructions stating the provider, the intended purpose, the "
        "level of accuracy and robustness tested, known limits and foreseeable misuse, "
        "the human oversight measures and how to read the logs.",
        ["high"],
        170,
    ),
    _obligation(
        "s5-euaia-synthetic-content-marking",
        5,
        "Mark generated content in a machine-readable way (Art. 50(2))",
        "Synthetic audio, image, video or text the system generates must be marked in "
        "a machine-readable format and be detectable as artificially generated, with "
        "techniques such as metadata, watermarks or content credentials, as far as is "
        "technically feasible. Assistive editing that does not substantially alter the "
        "input is exempt: say so here if that is the case.",
        ["limited", "high"],
        180,
    ),
    _obligation(
        "s6-euaia-accuracy-robustness",
        6,
        "Prove accuracy, robustness and cybersecurity (Art. 15)",
        "Declare the accuracy metrics and levels in the instructions for use and show "
        "them on the evaluation set; show resilience to errors, faults and "
        "inconsistencies, and to attempts to manipulate the system (prompt injection, "
        "data poisoning, adversarial examples). The step 6 evaluation and security tests "
        "are the evidence.",
        ["high"],
        160,
    ),
    _obligation(
        "s7-euaia-record-keeping",
        7,
        "Log events automatically over the system's life (Art. 12)",
        "The system must record events automatically so that its functioning can be "
        "traced: at least the period of each use, the reference data checked against, "
        "the input data and who verified the results where the Act asks for it. Keep "
        "the logs for at least six months (Art. 19 and 26(6)).",
        ["high"],
        170,
    ),
    _obligation(
        "s7-euaia-conformity-registration",
        7,
        "Pass the conformity assessment and register in the EU database (Arts. 43, 49)",
        "Before launch the system goes through the conformity assessment that applies "
        "to it (internal control for most Annex III systems), gets an EU declaration of "
        "conformity and the CE marking, and is registered in the EU database for "
        "high-risk systems. Attach the declaration and the registration reference.",
        ["high"],
        180,
    ),
    _obligation(
        "s7-euaia-post-market-monitoring",
        7,
        "Monitor the system after launch under a written plan (Art. 72)",
        "Collect and review data on how the system performs in use for its whole life, "
        "to find where it no longer complies. Write the post-market monitoring plan "
        "(part of the technical documentation); Runway's live metrics and alerts are a "
        "large part of it.",
        ["high"],
        190,
    ),
    _obligation(
        "s7-euaia-serious-incidents",
        7,
        "Report serious incidents to the authorities (Art. 73)",
        "A serious incident (death or serious harm to health, serious disruption of "
        "critical infrastructure, an infringement of fundamental rights, serious harm "
        "to property or the environment) must be reported to the market surveillance "
        "authority as soon as its link with the system is established, and within 15 "
        "days at the latest (shorter in the gravest cases). Document who reports, how, "
        "and how the system is investigated.",
        ["high"],
        200,
        evidence_required=False,
    ),
]
CHECKLIST.extend(AI_ACT_CHECKLIST)


_ITEM_FIELDS = {
    "key",
    "step",
    "title",
    "guidance",
    "required",
    "evidence_required",
    "frameworks",
    "min_classification",
    "order",
}
_KEY_RE = re.compile(r"^s([1-7])-[a-z0-9]+(?:-[a-z0-9]+)*$")


def validate() -> None:
    """Assert the catalog's invariants; raises AssertionError naming the first problem."""
    numbers = [step["number"] for step in STEPS]
    assert numbers == list(range(1, 8)), (
        f"steps must be numbered 1-7 in order: {numbers}"
    )
    for step in STEPS:
        for field in ("name", "short_name", "purpose", "gate"):
            assert step.get(field), f"step {step['number']}: empty {field}"
        assert len(step["name"]) <= 120, f"step {step['number']}: name too long"
        assert len(step["short_name"]) <= 40, (
            f"step {step['number']}: short_name too long"
        )

    codes = [fw["code"] for fw in FRAMEWORKS]
    assert len(codes) == len(set(codes)), f"duplicate framework codes: {codes}"
    for fw in FRAMEWORKS:
        assert re.fullmatch(r"[a-z0-9_]+", fw["code"]), (
            f"bad framework code {fw['code']!r}"
        )
        assert fw["name"] and fw["description"], f"framework {fw['code']}: missing text"

    assert CLASSIFICATIONS == ["public", "internal", "confidential", "regulated"]

    keys: set[str] = set()
    orders: dict[int, set[int]] = {number: set() for number in numbers}
    for item in CHECKLIST:
        key = item.get("key", "?")
        assert set(item) - {"ai_act_tiers"} == _ITEM_FIELDS, (
            f"{key}: fields {sorted((set(item) - {'ai_act_tiers'}) ^ _ITEM_FIELDS)}"
        )
        tiers = item.get("ai_act_tiers", [])
        assert isinstance(tiers, list) and set(tiers) <= set(AI_ACT_TIERS), (
            f"{key}: ai_act_tiers must be a list of {AI_ACT_TIERS}: {tiers!r}"
        )
        assert len(tiers) == len(set(tiers)), f"{key}: repeated tier"
        assert not tiers or "euaia" in key, f"{key}: tier items are s<n>-euaia-…"
        match = _KEY_RE.fullmatch(key)
        assert match, f"{key}: key must be kebab-case and start with s<step>-"
        assert len(key) <= 80, f"{key}: key longer than 80 characters"
        assert key not in keys, f"{key}: duplicate key"
        keys.add(key)
        assert item["step"] in orders, f"{key}: unknown step {item['step']}"
        assert int(match.group(1)) == item["step"], (
            f"{key}: prefix does not match its step"
        )
        assert 0 < len(item["title"]) <= 80, f"{key}: title empty or longer than 80"
        assert item["guidance"].strip(), f"{key}: empty guidance"
        assert isinstance(item["required"], bool), f"{key}: required must be a bool"
        assert isinstance(item["evidence_required"], bool), (
            f"{key}: evidence_required not bool"
        )
        unknown = set(item["frameworks"]) - set(codes)
        assert not unknown, f"{key}: unknown framework codes {sorted(unknown)}"
        assert len(item["frameworks"]) == len(set(item["frameworks"])), (
            f"{key}: repeated code"
        )
        min_class = item["min_classification"]
        assert min_class is None or min_class in CLASSIFICATIONS, (
            f"{key}: bad {min_class!r}"
        )
        order = item["order"]
        assert isinstance(order, int) and order > 0, (
            f"{key}: order must be a positive int"
        )
        assert order not in orders[item["step"]], (
            f"{key}: order {order} repeated in its step"
        )
        orders[item["step"]].add(order)

    for number, step_orders in orders.items():
        assert len(step_orders) >= 8, f"step {number} has only {len(step_orders)} items"
    assert len(CHECKLIST) >= 70, f"only {len(CHECKLIST)} checklist items"


if __name__ == "__main__":
    validate()
    print(
        f"catalog OK: {len(STEPS)} steps, {len(FRAMEWORKS)} frameworks, {len(CHECKLIST)} items"
    )
