"""Seed library of AI risks for Runway: the risks a project register is suggested from.

Plain data, no Django imports: a data migration loads it into the LibraryRisk table, and
admins may reword the rows afterwards. Keys are stable identifiers; never rename or
reuse one, retire an entry by deactivating it instead.

Each entry has a cause (what could make it happen), a consequence (what happens if it
does) and a default inherent rating (``likelihood`` and ``impact``, 1-5 each) that the
project's owner adjusts for their own system.

Applicability of an entry to a project, as for checklist templates:
- ``use_cases``: empty means every use case; otherwise only projects of a listed one.
- ``frameworks``: empty means every project; otherwise only projects under at least one
  of the listed frameworks.
- ``min_classification``: "" means any data class; otherwise only projects whose data
  classification is at least this sensitive.

``mitigations`` name checklist items of ``projects.catalog_data`` that treat the risk.
Each of them applies wherever the entry applies, so a suggested risk never points at a
checklist item the project does not have. ``indicator`` names the live metric that
raises the risk's flag when it is off target ("" for none).

Run ``validate()`` after editing to check the library's invariants.
"""

from __future__ import annotations

import re
from typing import Any

from projects import catalog_data

CATEGORIES: list[str] = [
    "security",
    "privacy",
    "harmful_output",
    "bias",
    "dependency",
    "cost",
    "availability",
    "legal",
    "data_quality",
]
USE_CASES: list[str] = ["chatbot", "copilot", "rag_assistant", "agent", "other"]
# Ordered from least to most sensitive, as in ``catalog_data.CLASSIFICATIONS``.
CLASSIFICATIONS: list[str] = ["public", "internal", "confidential", "regulated"]
FRAMEWORK_CODES: list[str] = [
    "hipaa",
    "soc2",
    "pci_dss",
    "gdpr",
    "eu_ai_act",
    "iso_42001",
    "nist_ai_rmf",
]
INDICATORS: list[str] = [
    "cost_over_budget",
    "quality_below_target",
    "errors_over_target",
    "latency_over_target",
]

LIBRARY: list[dict[str, Any]] = [
    # --- Security and prompt injection ------------------------------------------------
    {
        "key": "prompt-injection-direct",
        "title": "Users override the system instructions through their own messages",
        "category": "security",
        "cause": (
            "A user types instructions such as 'ignore your rules' or role-play framings "
            "that the model follows instead of the system prompt, because the model "
            "cannot reliably tell the operator's instructions from the user's text."
        ),
        "consequence": (
            "The assistant answers outside its intended scope, drops its safety rules or "
            "calls tools it should not, and screenshots of the behaviour can circulate "
            "under the company's name."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s3-prompt-injection-input",
            "s3-output-filtering",
            "s6-red-team",
        ],
        "indicator": "",
    },
    {
        "key": "prompt-injection-indirect",
        "title": "Instructions hidden in retrieved documents, web pages or tool results",
        "category": "security",
        "cause": (
            "Text the system reads on the user's behalf (a knowledge-base page, an "
            "email, a web page, a ticket, an API response) contains instructions that "
            "the model treats as its own, often written to be invisible to a human."
        ),
        "consequence": (
            "Someone who never talks to the assistant can steer it: make it give false "
            "answers, leak the conversation through a link or image URL, or trigger "
            "tool calls against the user's own data."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": ["copilot", "rag_assistant", "agent"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s3-prompt-injection-input",
            "s3-agent-least-privilege",
            "s4-source-provenance",
            "s6-red-team",
        ],
        "indicator": "",
    },
    {
        "key": "system-prompt-leakage",
        "title": "The system prompt and what it contains can be extracted",
        "category": "security",
        "cause": (
            "Users ask the model to repeat, translate or summarise its instructions, and "
            "the system prompt holds business rules, internal URLs, tool descriptions or "
            "even credentials that were never meant to be seen."
        ),
        "consequence": (
            "Attackers learn exactly which guardrails to work around, and anything "
            "sensitive embedded in the prompt is exposed to every user."
        ),
        "likelihood": 4,
        "impact": 2,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s3-secrets-vault", "s3-prompt-injection-input", "s6-red-team"],
        "indicator": "",
    },
    {
        "key": "insecure-output-handling",
        "title": "Model output is run or rendered without checks (HTML, SQL, shell)",
        "category": "security",
        "cause": (
            "The application inserts generated text straight into a web page, a database "
            "query, a shell command or a template, trusting it as if it were code the "
            "team wrote."
        ),
        "consequence": (
            "A manipulated answer becomes cross-site scripting, SQL injection or command "
            "execution on our own infrastructure, with the application's permissions."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s3-output-filtering", "s3-threat-model", "s6-red-team"],
        "indicator": "",
    },
    {
        "key": "agent-excessive-agency",
        "title": "An agent takes harmful or unintended actions with its tools",
        "category": "security",
        "cause": (
            "The agent holds broad credentials or tools (send email, update records, "
            "issue refunds, run code) and acts on a misread request, a hallucinated "
            "plan or injected instructions without a person confirming the step."
        ),
        "consequence": (
            "Records are changed or deleted, messages go to customers, or money moves, "
            "and an irreversible action may not be noticed until someone complains."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": ["agent"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s3-agent-least-privilege",
            "s2-prompt-tool-inventory",
            "s6-agent-task-eval",
            "s3-audit-logging",
        ],
        "indicator": "",
    },
    {
        "key": "secrets-in-code-or-prompts",
        "title": "API keys and credentials sit in prototype code, notebooks or prompts",
        "category": "security",
        "cause": (
            "Provider keys and database passwords were pasted into the prototype, its "
            "notebooks or its prompts to get a demo running, and they remain in the "
            "repository history and in shared copies."
        ),
        "consequence": (
            "Anyone with access to the code or its history can run up model spend on "
            "our account or reach the data those credentials open."
        ),
        "likelihood": 4,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s2-arch-hardcoded-keys",
            "s3-secrets-vault",
            "s5-secrets-manager",
        ],
        "indicator": "",
    },
    {
        "key": "unauthenticated-access",
        "title": "The assistant or its API can be reached without proper sign-in",
        "category": "security",
        "cause": (
            "The prototype was shared with a public link or a shared password, and its "
            "model endpoint has no per-user identity or role checks."
        ),
        "consequence": (
            "Outsiders or the wrong staff can query internal knowledge and use paid "
            "model capacity, and nothing ties a request to a person."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s3-authentication", "s3-rbac", "s2-security-gaps"],
        "indicator": "",
    },
    {
        "key": "compromised-dependency",
        "title": "A compromised package, plugin or model file enters the stack",
        "category": "security",
        "cause": (
            "The fast-moving AI tool chain pulls in many young packages, community "
            "plugins and downloaded model weights, any of which can be typo-squatted, "
            "hijacked or shipped with malicious code."
        ),
        "consequence": (
            "Malicious code runs inside the application with access to prompts, data "
            "and credentials, and may go unnoticed because nobody reviews it."
        ),
        "likelihood": 2,
        "impact": 5,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s5-containers", "s5-ci-pipeline", "s2-prototype-inventory"],
        "indicator": "",
    },
    # --- Privacy and PII exposure -----------------------------------------------------
    {
        "key": "pii-sent-to-provider",
        "title": "Personal data in prompts is sent to an external model provider",
        "category": "privacy",
        "cause": (
            "Users paste customer names, emails or case details into the chat, and "
            "retrieved context carries personal data, all of which travels to the "
            "provider's API with every request."
        ),
        "consequence": (
            "Personal data is processed and possibly retained by a third party without "
            "the safeguards our data policy requires, which is a reportable incident in "
            "some jurisdictions."
        ),
        "likelihood": 4,
        "impact": 4,
        "use_cases": [],
        "min_classification": "confidential",
        "frameworks": [],
        "mitigations": [
            "s3-pii-masking",
            "s3-provider-data-terms",
            "s3-vendor-security-review",
        ],
        "indicator": "",
    },
    {
        "key": "pii-echoed-in-output",
        "title": "The model repeats personal data to someone who should not see it",
        "category": "privacy",
        "cause": (
            "Personal data from earlier conversations, shared memory, few-shot examples "
            "or fine-tuning data is reproduced in an answer to a different user."
        ),
        "consequence": (
            "One person's details are disclosed to another, which is a privacy breach "
            "that may need notification and erodes trust in the tool."
        ),
        "likelihood": 2,
        "impact": 4,
        "use_cases": [],
        "min_classification": "confidential",
        "frameworks": [],
        "mitigations": ["s3-pii-masking", "s3-output-filtering", "s6-red-team"],
        "indicator": "",
    },
    {
        "key": "vendor-trains-on-our-data",
        "title": "The provider's terms let it keep or train on our prompts",
        "category": "privacy",
        "cause": (
            "The project uses a consumer plan or default API settings whose terms allow "
            "the vendor to log prompts for a long time or use them to improve its models."
        ),
        "consequence": (
            "Internal or customer information leaves our control for good and could "
            "resurface in the vendor's future models or be exposed in a breach on their "
            "side."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "internal",
        "frameworks": [],
        "mitigations": ["s3-provider-data-terms", "s2-licences-and-terms"],
        "indicator": "",
    },
    {
        "key": "cross-tenant-retrieval-leakage",
        "title": "Retrieval returns documents the asking user is not allowed to read",
        "category": "privacy",
        "cause": (
            "All documents share one vector index and the search ignores the source "
            "system's permissions, so chunks from another team, customer or tenant rank "
            "highly and land in the answer."
        ),
        "consequence": (
            "Confidential material such as salaries, contracts or another customer's "
            "data is quoted to the wrong person, with a citation that proves it."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": ["rag_assistant"],
        "min_classification": "internal",
        "frameworks": [],
        "mitigations": ["s4-source-provenance", "s3-rbac", "s6-retrieval-eval"],
        "indicator": "",
    },
    {
        "key": "pii-in-logs-and-traces",
        "title": "Prompts and answers with personal data pile up in logs and traces",
        "category": "privacy",
        "cause": (
            "Full prompts, retrieved context and responses are logged for debugging and "
            "tracing, unmasked and without a retention limit, and many engineers can "
            "read them."
        ),
        "consequence": (
            "Observability tooling becomes the largest store of personal data in the "
            "system, widening who can see it and what a breach would expose."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "confidential",
        "frameworks": [],
        "mitigations": [
            "s3-pii-masking",
            "s3-retention-deletion",
            "s3-encryption-at-rest",
        ],
        "indicator": "",
    },
    {
        "key": "restricted-content-indexed",
        "title": "Restricted documents are loaded into the knowledge base",
        "category": "privacy",
        "cause": (
            "Ingestion crawls whole drives or wikis, picking up HR files, legal matters "
            "or board papers that were never meant for the assistant's audience."
        ),
        "consequence": (
            "Any user can surface restricted content with the right question, and it "
            "also sits in embeddings and caches that are hard to purge."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": ["rag_assistant"],
        "min_classification": "confidential",
        "frameworks": [],
        "mitigations": [
            "s4-restricted-content-filter",
            "s4-source-inventory",
            "s4-source-provenance",
        ],
        "indicator": "",
    },
    {
        "key": "hipaa-phi-exposure",
        "title": "Protected health information is exposed through prompts or answers",
        "category": "privacy",
        "cause": (
            "Clinical notes, patient identifiers or claims data are placed in prompts "
            "and retrieved context in full, and the assistant shows them to staff "
            "without a need to know."
        ),
        "consequence": (
            "A HIPAA breach with notification duties and penalties, and loss of trust "
            "from patients and covered-entity customers."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["hipaa"],
        "mitigations": ["s3-hipaa-minimum-necessary", "s3-hipaa-access-logs"],
        "indicator": "",
    },
    # --- Harmful or wrong output ------------------------------------------------------
    {
        "key": "hallucinated-facts",
        "title": "Confident answers that are factually wrong or made up",
        "category": "harmful_output",
        "cause": (
            "The model fills gaps in its context with plausible text: invented figures, "
            "policies, citations or product features, stated with the same confidence "
            "as correct answers."
        ),
        "consequence": (
            "Users act on false information, customers receive wrong commitments, and "
            "the company may be held to what its assistant said."
        ),
        "likelihood": 4,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s6-automated-scoring",
            "s6-human-review",
            "s7-quality-monitoring",
        ],
        "indicator": "quality_below_target",
    },
    {
        "key": "toxic-or-harmful-content",
        "title": "Offensive, dangerous or inappropriate content in answers",
        "category": "harmful_output",
        "cause": (
            "Provocative inputs, unusual topics or content in the retrieved sources lead "
            "the model to produce insults, harassment, unsafe advice or material "
            "unsuitable for the audience."
        ),
        "consequence": (
            "Users are harmed or offended, and the output can become a public incident "
            "that damages the brand."
        ),
        "likelihood": 2,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s3-output-filtering", "s6-red-team", "s7-user-feedback"],
        "indicator": "",
    },
    {
        "key": "user-over-reliance",
        "title": "Users trust the output without checking it",
        "category": "harmful_output",
        "cause": (
            "Answers are fluent and usually right, so people stop verifying them, even "
            "for decisions where a mistake matters, and the interface gives no hint of "
            "uncertainty or sources."
        ),
        "consequence": (
            "Errors pass straight into customer replies, reports or decisions, and "
            "responsibility for them is unclear after the fact."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s1-failure-behaviour",
            "s6-human-review",
            "s7-user-feedback",
        ],
        "indicator": "",
    },
    {
        "key": "outdated-model-knowledge",
        "title": "Answers rely on the model's out-of-date training knowledge",
        "category": "harmful_output",
        "cause": (
            "The model's training data stops at a cut-off date, and questions about "
            "recent prices, policies, releases or regulations are answered from memory "
            "instead of current sources."
        ),
        "consequence": (
            "Users receive answers that were once true but no longer are, which are "
            "harder to spot than obvious errors."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": ["chatbot", "copilot", "agent", "other"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s6-eval-dataset", "s7-quality-monitoring"],
        "indicator": "quality_below_target",
    },
    {
        "key": "prompt-change-regression",
        "title": "A prompt or parameter change quietly makes answers worse",
        "category": "harmful_output",
        "cause": (
            "Someone edits the system prompt, temperature or few-shot examples to fix "
            "one case, with no regression tests, and other cases degrade without anyone "
            "noticing."
        ),
        "consequence": (
            "Quality drops in production for days or weeks, and without versioned "
            "prompts it is hard to tell which change caused it or to undo it."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s6-prompt-regression",
            "s5-prompt-config-versioning",
            "s5-rollback",
        ],
        "indicator": "quality_below_target",
    },
    {
        "key": "copilot-flawed-code-suggestions",
        "title": "A coding copilot suggests insecure or subtly broken code",
        "category": "harmful_output",
        "cause": (
            "Suggestions reproduce insecure patterns, call functions that do not exist "
            "or use outdated APIs, and developers accept them under time pressure."
        ),
        "consequence": (
            "Vulnerabilities and bugs reach production code and are found later, at "
            "higher cost, or by attackers."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": ["copilot"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s5-ci-pipeline", "s6-human-review", "s6-red-team"],
        "indicator": "",
    },
    {
        "key": "agent-compounding-errors",
        "title": "An early mistake in a multi-step agent task compounds",
        "category": "harmful_output",
        "cause": (
            "The agent misreads a tool result or picks the wrong record in an early step "
            "and builds every later step on that error, with no checkpoint to catch it."
        ),
        "consequence": (
            "Tasks finish with a confident but wrong result, or partly completed actions "
            "that someone has to find and unpick by hand."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": ["agent"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s6-agent-task-eval",
            "s3-agent-least-privilege",
            "s3-audit-logging",
        ],
        "indicator": "quality_below_target",
    },
    # --- Bias -------------------------------------------------------------------------
    {
        "key": "biased-outcomes-across-groups",
        "title": "Answers or recommendations differ unfairly between groups of people",
        "category": "bias",
        "cause": (
            "Patterns in the model's training data, skewed examples in the prompt or a "
            "lopsided knowledge base lead to different tone, advice or scores depending "
            "on names, gender, age or origin in the input."
        ),
        "consequence": (
            "Some people are treated worse by a company system, which can be "
            "discriminatory, unlawful in hiring, lending or service decisions, and "
            "damaging if exposed."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s6-bias-fairness", "s6-eval-dataset", "s6-human-review"],
        "indicator": "",
    },
    {
        "key": "unequal-quality-across-languages",
        "title": "Quality is much lower for some languages or dialects",
        "category": "bias",
        "cause": (
            "The model, the embeddings and the evaluation set all favour English, so "
            "questions in other languages or regional dialects get weaker retrieval, "
            "more refusals and poorer answers."
        ),
        "consequence": (
            "Users outside the main language get a second-class service, and an "
            "average quality score hides the gap."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s6-bias-fairness", "s6-eval-dataset"],
        "indicator": "",
    },
    {
        "key": "judge-model-bias",
        "title": "Model-graded scoring favours the wrong kind of answer",
        "category": "bias",
        "cause": (
            "An LLM used as the grader prefers longer, more confident answers or output "
            "from its own model family, and has never been compared with human ratings."
        ),
        "consequence": (
            "Quality scores look healthy while real answers get worse, and prompt or "
            "model choices are made on misleading numbers."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s6-judge-calibration", "s6-human-review"],
        "indicator": "",
    },
    # --- Model or vendor dependency ---------------------------------------------------
    {
        "key": "model-deprecation-or-version-change",
        "title": "The provider retires or silently updates the model we depend on",
        "category": "dependency",
        "cause": (
            "The application calls a floating model alias or a model with an announced "
            "retirement date, and the provider changes what is behind it."
        ),
        "consequence": (
            "Answers change in style and quality overnight, prompts tuned for the old "
            "model stop working, or calls fail once the model is switched off."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s5-pinned-model-versions",
            "s6-automated-scoring",
            "s5-provider-interface",
        ],
        "indicator": "quality_below_target",
    },
    {
        "key": "single-provider-lock-in",
        "title": "Everything is tied to one model provider's API and features",
        "category": "dependency",
        "cause": (
            "Provider SDK calls, proprietary features and provider-specific prompt "
            "formats are spread through the code, with no abstraction over the model."
        ),
        "consequence": (
            "Switching after a price rise, terms change, quality drop or outage takes "
            "a rewrite, so the provider sets the terms."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s5-provider-interface",
            "s2-arch-service-layer",
            "s7-provider-failover",
        ],
        "indicator": "",
    },
    {
        "key": "prototype-platform-lock-in",
        "title": "The prototype lives inside a no-code or app-generator platform",
        "category": "dependency",
        "cause": (
            "The prototype was built with a hosted builder or code generator whose "
            "flows, prompts and data cannot be fully exported or run elsewhere."
        ),
        "consequence": (
            "Production work means rebuilding from scratch or staying on a platform "
            "that does not meet our security and operating standards."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s2-generator-lock-in", "s2-prototype-inventory"],
        "indicator": "",
    },
    {
        "key": "vendor-terms-or-pricing-change",
        "title": "The vendor changes its prices, usage policy or contract terms",
        "category": "dependency",
        "cause": (
            "AI vendors revise prices, rate tiers, acceptable-use rules and data terms "
            "often, sometimes at short notice, and our use case may fall on the wrong "
            "side of a change."
        ),
        "consequence": (
            "The budget no longer holds, a feature becomes disallowed, or the data terms "
            "stop meeting our policy, forcing a rushed change of vendor."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s2-licences-and-terms", "s5-provider-interface"],
        "indicator": "",
    },
    # --- Cost overrun -----------------------------------------------------------------
    {
        "key": "runaway-agent-token-spend",
        "title": "Agent loops and retries burn tokens without limit",
        "category": "cost",
        "cause": (
            "An agent repeats a failing tool call, re-plans endlessly or recursively "
            "spawns sub-tasks, each step resending a growing context, with no cap on "
            "steps or tokens per task."
        ),
        "consequence": (
            "A single task can cost hundreds of times the expected amount, and a bug "
            "running overnight can consume the month's budget."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": ["agent"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s3-rate-limits",
            "s7-cost-monitoring",
            "s7-alerting",
            "s6-agent-task-eval",
        ],
        "indicator": "cost_over_budget",
    },
    {
        "key": "cost-per-request-creep",
        "title": "Cost per request creeps up as prompts and context grow",
        "category": "cost",
        "cause": (
            "Each fix adds instructions and examples to the prompt, conversations keep "
            "their full history, and retrieval passes more and longer chunks, so input "
            "tokens per request keep rising."
        ),
        "consequence": (
            "Spend grows faster than usage and overshoots the budget with no single "
            "change to blame, and latency rises with it."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s6-cost-per-request-check",
            "s7-cost-monitoring",
            "s7-caching",
        ],
        "indicator": "cost_over_budget",
    },
    {
        "key": "denial-of-wallet",
        "title": "Abusive or scripted use drives up model spend",
        "category": "cost",
        "cause": (
            "A script, a scraper or a determined user sends large volumes of long or "
            "expensive requests, or uses the assistant as free general-purpose model "
            "access."
        ),
        "consequence": (
            "The bill spikes within hours, and the provider quota runs out for "
            "legitimate users as well."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s3-rate-limits", "s3-authentication", "s7-alerting"],
        "indicator": "cost_over_budget",
    },
    {
        "key": "oversized-model-for-every-request",
        "title": "Every request goes to the largest, most expensive model",
        "category": "cost",
        "cause": (
            "The prototype used the most capable model for everything, including "
            "classification, extraction and short replies that a smaller model handles "
            "equally well."
        ),
        "consequence": (
            "Running costs are several times what they need to be, which can sink the "
            "business case once traffic grows."
        ),
        "likelihood": 4,
        "impact": 2,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s1-model-choice-rationale",
            "s7-model-routing",
            "s6-routing-eval",
        ],
        "indicator": "cost_over_budget",
    },
    # --- Availability -----------------------------------------------------------------
    {
        "key": "provider-outage",
        "title": "The model provider's API is down or failing",
        "category": "availability",
        "cause": (
            "The provider has an outage, a regional incident or a spell of elevated "
            "error rates, and the application has no fallback path."
        ),
        "consequence": (
            "The assistant stops working for everyone at once, and the workflows built "
            "around it stall until the provider recovers."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s7-provider-failover",
            "s1-failure-behaviour",
            "s7-latency-error-monitoring",
        ],
        "indicator": "errors_over_target",
    },
    {
        "key": "rate-limit-quota-exhaustion",
        "title": "Provider rate limits or quotas are hit at busy times",
        "category": "availability",
        "cause": (
            "Requests or tokens per minute exceed the account's provider limits during "
            "peaks, batch jobs or launches, because quotas were sized for the prototype."
        ),
        "consequence": (
            "Users receive errors or long waits while requests are throttled, often at "
            "exactly the moment the system matters most."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s5-capacity-quotas", "s6-load-test", "s7-caching"],
        "indicator": "errors_over_target",
    },
    {
        "key": "latency-under-peak-load",
        "title": "Responses become too slow under peak load",
        "category": "availability",
        "cause": (
            "Model calls, vector searches and database queries queue up at peak volume, "
            "and the system was never load-tested beyond a handful of users."
        ),
        "consequence": (
            "Users wait tens of seconds or give up, and time-outs in calling systems "
            "turn slowness into failures."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s6-load-test",
            "s5-capacity-quotas",
            "s4-connection-pooling",
            "s7-latency-error-monitoring",
        ],
        "indicator": "latency_over_target",
    },
    {
        "key": "chained-call-latency",
        "title": "Chains of model and tool calls make each answer slow",
        "category": "availability",
        "cause": (
            "One user request fans out into query rewriting, several retrievals, "
            "re-ranking, tool calls and a long generated answer, each step waiting on "
            "the one before."
        ),
        "consequence": (
            "Even at normal load the p95 latency misses its target, and interactive use "
            "feels sluggish enough that people stop using it."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": ["copilot", "rag_assistant", "agent"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s1-latency-target",
            "s7-request-tracing",
            "s7-model-routing",
        ],
        "indicator": "latency_over_target",
    },
    {
        "key": "integration-failures",
        "title": "Enterprise systems the assistant calls time out or fail",
        "category": "availability",
        "cause": (
            "Calls to CRM, ticketing, search or internal APIs have no time-outs, retries "
            "or circuit breakers, so a slow or failing dependency blocks the request."
        ),
        "consequence": (
            "Answers fail or hang whenever a downstream system has trouble, and agents "
            "may leave tasks half done."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s4-enterprise-integrations",
            "s4-connection-pooling",
            "s7-alerting",
        ],
        "indicator": "errors_over_target",
    },
    {
        "key": "bad-release-without-rollback",
        "title": "A faulty release reaches all users with no quick way back",
        "category": "availability",
        "cause": (
            "Code, prompts or model settings are changed directly in production, all at "
            "once, with no staging check and no rehearsed rollback."
        ),
        "consequence": (
            "A broken release hits every user, and recovery depends on someone "
            "rebuilding the previous state by hand."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s5-promotion-via-staging",
            "s5-rollback",
            "s7-gradual-rollout",
        ],
        "indicator": "errors_over_target",
    },
    # --- Legal and compliance ---------------------------------------------------------
    {
        "key": "generated-content-copyright",
        "title": "Generated content infringes copyright or breaks licence terms",
        "category": "legal",
        "cause": (
            "The model reproduces long passages of protected text or licensed code, or "
            "the provider's terms limit who owns and may reuse the output."
        ),
        "consequence": (
            "Published material or shipped code carries infringement or licence claims, "
            "and we may be unable to prove where it came from."
        ),
        "likelihood": 2,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s2-licences-and-terms",
            "s3-output-filtering",
            "s6-human-review",
        ],
        "indicator": "",
    },
    {
        "key": "missing-audit-trail",
        "title": "No record of who asked what, what was retrieved and what was done",
        "category": "legal",
        "cause": (
            "The system keeps no durable log of requests, retrieved sources, tool calls, "
            "prompt versions and admin changes, or the logs are overwritten quickly."
        ),
        "consequence": (
            "Incidents, complaints and auditor questions cannot be answered, and the "
            "company cannot show what the system did or why."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s3-audit-logging",
            "s7-request-tracing",
            "s5-prompt-config-versioning",
        ],
        "indicator": "",
    },
    {
        "key": "regulated-data-unvetted-vendor",
        "title": "Regulated data flows through AI vendors that were never assessed",
        "category": "legal",
        "cause": (
            "Model providers, vector database services and tracing tools are added to "
            "the data path without a security review, and outbound traffic is not "
            "restricted to the approved ones."
        ),
        "consequence": (
            "Regulated data is held by parties that fail our contractual and regulatory "
            "obligations, which can mean fines and lost certifications."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": [],
        "min_classification": "regulated",
        "frameworks": [],
        "mitigations": [
            "s3-vendor-security-review",
            "s3-provider-data-terms",
            "s5-network-isolation",
        ],
        "indicator": "",
    },
    {
        "key": "euaia-transparency-duty",
        "title": "Users are not told they are dealing with an AI system",
        "category": "legal",
        "cause": (
            "The interface presents generated replies or content as if a person wrote "
            "them, with no notice that an AI system is involved."
        ),
        "consequence": (
            "The EU AI Act's transparency duty is breached, exposing the company to "
            "enforcement and to complaints from people who felt misled."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["eu_ai_act"],
        "mitigations": ["s3-euaia-transparency"],
        "indicator": "",
    },
    {
        "key": "euaia-misclassified-risk-tier",
        "title": "The system's EU AI Act risk tier is wrong or never assessed",
        "category": "legal",
        "cause": (
            "The assistant is used for decisions about people (hiring, credit, access "
            "to services) that put it in a high-risk tier, but nobody classified it or "
            "designed human oversight for those outputs."
        ),
        "consequence": (
            "The system runs without the documentation, oversight and controls its tier "
            "requires, and may have to be withdrawn until they are in place."
        ),
        "likelihood": 2,
        "impact": 5,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["eu_ai_act"],
        "mitigations": [
            "s3-euaia-risk-classification",
            "s3-euaia-human-oversight",
        ],
        "indicator": "",
    },
    {
        "key": "gdpr-no-lawful-basis",
        "title": "Personal data is processed by the AI system without a lawful basis",
        "category": "legal",
        "cause": (
            "Personal data collected for one purpose is reused for prompts, retrieval, "
            "evaluation or fine-tuning without checking that a lawful basis covers the "
            "new use or assessing its impact."
        ),
        "consequence": (
            "The processing is unlawful under GDPR, and regulators can order it stopped "
            "and impose fines."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["gdpr"],
        "mitigations": ["s3-gdpr-lawful-basis", "s3-gdpr-dpia"],
        "indicator": "",
    },
    {
        "key": "gdpr-requests-miss-ai-stores",
        "title": "Access and erasure requests miss logs, caches and embeddings",
        "category": "legal",
        "cause": (
            "Data subject requests are handled in the main systems only, while copies "
            "of the person's data remain in prompt logs, traces, caches, vector indexes "
            "and evaluation sets."
        ),
        "consequence": (
            "Answers to access requests are incomplete and erased data keeps turning up "
            "in answers, both breaches of GDPR."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["gdpr"],
        "mitigations": [
            "s3-gdpr-data-subject-requests",
            "s4-embedding-refresh",
            "s4-source-provenance",
        ],
        "indicator": "",
    },
    {
        "key": "gdpr-data-residency",
        "title": "Personal data is processed outside approved regions",
        "category": "legal",
        "cause": (
            "The model endpoint, vector store or tracing service runs in a region "
            "outside the EU, or the provider routes requests globally by default."
        ),
        "consequence": (
            "Personal data is transferred abroad without valid safeguards, breaching "
            "GDPR and customer contracts that promise regional processing."
        ),
        "likelihood": 3,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["gdpr"],
        "mitigations": ["s3-gdpr-data-residency", "s1-infra-constraints"],
        "indicator": "",
    },
    {
        "key": "hipaa-vendor-without-baa",
        "title": "PHI is sent to a model provider without a signed BAA",
        "category": "legal",
        "cause": (
            "The team uses a standard API account, or adds a tracing or vector database "
            "vendor, before any business associate agreement covers it."
        ),
        "consequence": (
            "Every request that contains PHI is an impermissible disclosure under HIPAA, "
            "reportable and subject to penalties."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["hipaa"],
        "mitigations": ["s3-hipaa-baa", "s3-hipaa-minimum-necessary"],
        "indicator": "",
    },
    {
        "key": "pci-cardholder-data-in-prompts",
        "title": "Card numbers end up in prompts, context or logs",
        "category": "legal",
        "cause": (
            "Customers type card numbers into the chat or support transcripts with card "
            "details are retrieved as context, so the data reaches the model, the "
            "provider and the logs."
        ),
        "consequence": (
            "The whole AI stack and its vendors fall into PCI DSS scope, and unprotected "
            "card data in logs is a compliance failure and a breach risk."
        ),
        "likelihood": 3,
        "impact": 5,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["pci_dss"],
        "mitigations": ["s3-pci-no-cardholder-data", "s3-pci-tokenisation"],
        "indicator": "",
    },
    {
        "key": "soc2-uncontrolled-prompt-changes",
        "title": "Prompt and model changes bypass change management",
        "category": "legal",
        "cause": (
            "Prompts and model settings are edited in a provider console or admin "
            "screen rather than going through the reviewed, recorded change process used "
            "for code."
        ),
        "consequence": (
            "The SOC 2 change-management control fails for this system, which shows up "
            "as an exception in the next audit report."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["soc2"],
        "mitigations": [
            "s3-soc2-change-management",
            "s5-prompt-config-versioning",
        ],
        "indicator": "",
    },
    {
        "key": "iso42001-outside-management-system",
        "title": "The AI system runs outside the AI management system",
        "category": "legal",
        "cause": (
            "The project went live without being added to the ISO/IEC 42001 management "
            "system scope or having its risk and impact assessment done."
        ),
        "consequence": (
            "The certification audit finds an uncontrolled AI system, putting the "
            "certificate and the customer commitments built on it at risk."
        ),
        "likelihood": 2,
        "impact": 4,
        "use_cases": [],
        "min_classification": "",
        "frameworks": ["iso_42001"],
        "mitigations": ["s3-iso42001-aims-scope", "s3-iso42001-risk-assessment"],
        "indicator": "",
    },
    # --- Data quality -----------------------------------------------------------------
    {
        "key": "stale-rag-index",
        "title": "The knowledge base index lags behind its sources",
        "category": "data_quality",
        "cause": (
            "Embeddings are built once or refreshed by a job that fails silently, so "
            "updated and deleted documents are still served from the index."
        ),
        "consequence": (
            "The assistant quotes withdrawn policies and old prices with a citation, "
            "which makes the wrong answer look authoritative."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": ["rag_assistant"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s4-embedding-refresh",
            "s4-pipeline-failure-alerts",
            "s7-pipeline-health",
        ],
        "indicator": "quality_below_target",
    },
    {
        "key": "poor-chunking-and-retrieval",
        "title": "Retrieval misses the passages that hold the answer",
        "category": "data_quality",
        "cause": (
            "Documents are split at fixed sizes that cut tables and sections apart, "
            "headings and metadata are lost, and retrieval quality was never measured "
            "on its own."
        ),
        "consequence": (
            "The model answers from irrelevant or partial context, so answers are vague "
            "or wrong even though the right document is in the index."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": ["rag_assistant"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s4-rag-chunking", "s6-retrieval-eval"],
        "indicator": "quality_below_target",
    },
    {
        "key": "poisoned-source-documents",
        "title": "False or planted content in the sources shapes the answers",
        "category": "data_quality",
        "cause": (
            "Anyone who can edit a wiki page, shared drive or ingested feed can add "
            "misleading content, and ingestion accepts it without checking where it "
            "came from."
        ),
        "consequence": (
            "The assistant repeats the planted claims to many users, and without "
            "provenance it is hard to find and remove the source."
        ),
        "likelihood": 2,
        "impact": 4,
        "use_cases": ["rag_assistant"],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s4-source-provenance",
            "s4-data-quality-checks",
            "s4-data-contracts",
        ],
        "indicator": "",
    },
    {
        "key": "weak-evaluation-data",
        "title": "The evaluation set is too small, unlabelled or unrepresentative",
        "category": "data_quality",
        "cause": (
            "Quality is judged on a few dozen questions the team wrote, without agreed "
            "reference answers and without the hard or rare cases real users bring."
        ),
        "consequence": (
            "Scores say the system is ready when it is not, and regressions go "
            "undetected because the set does not cover them."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s6-eval-dataset", "s6-human-review", "s4-feedback-storage"],
        "indicator": "",
    },
    {
        "key": "evaluation-contamination",
        "title": "Evaluation cases leak into prompts or tuning data",
        "category": "data_quality",
        "cause": (
            "Examples from the evaluation set are reused as few-shot examples, tuning "
            "data or fixes for specific failures, so the system is tested on what it "
            "has already seen."
        ),
        "consequence": (
            "Measured quality is inflated and falls apart on live traffic, after the "
            "launch decision was made on those numbers."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s6-eval-data-hygiene", "s6-eval-dataset"],
        "indicator": "",
    },
    {
        "key": "upstream-data-breaks-pipelines",
        "title": "Upstream data changes break or corrupt the data pipelines",
        "category": "data_quality",
        "cause": (
            "A source system renames fields, changes formats or sends partial exports, "
            "and the pipeline loads whatever arrives because it has no checks or "
            "agreed contract."
        ),
        "consequence": (
            "Empty, duplicated or garbled records reach the knowledge base and tools, "
            "and answers degrade until someone notices."
        ),
        "likelihood": 3,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [
            "s4-data-quality-checks",
            "s4-data-contracts",
            "s4-pipeline-failure-alerts",
        ],
        "indicator": "quality_below_target",
    },
    {
        "key": "prototype-data-not-representative",
        "title": "The prototype was proven on sample data unlike production",
        "category": "data_quality",
        "cause": (
            "The demo ran on clean samples, synthetic records or a small document set, "
            "while production data is larger, messier and full of exceptions."
        ),
        "consequence": (
            "Quality and performance seen in the demo do not hold at launch, and the "
            "gap shows up in front of users."
        ),
        "likelihood": 4,
        "impact": 3,
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": ["s4-production-data-run", "s2-data-gaps", "s6-eval-dataset"],
        "indicator": "",
    },
]


_ENTRY_FIELDS = {
    "key",
    "title",
    "category",
    "cause",
    "consequence",
    "likelihood",
    "impact",
    "use_cases",
    "min_classification",
    "frameworks",
    "mitigations",
    "indicator",
}
_KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _rank(classification: str | None) -> int:
    """Position in ``CLASSIFICATIONS``; no minimum ranks below every class."""
    return CLASSIFICATIONS.index(classification) if classification else -1


def _unique(values: list[str]) -> bool:
    return len(values) == len(set(values))


def validate() -> None:
    """Assert the library's invariants; raises AssertionError naming the first problem."""
    assert CLASSIFICATIONS == catalog_data.CLASSIFICATIONS, (
        "classification order differs from the catalog"
    )
    catalog_codes = {fw["code"] for fw in catalog_data.FRAMEWORKS}
    assert set(FRAMEWORK_CODES) <= catalog_codes, (
        f"framework codes missing from the catalog: {set(FRAMEWORK_CODES) - catalog_codes}"
    )
    checklist = {item["key"]: item for item in catalog_data.CHECKLIST}

    keys: set[str] = set()
    per_category = dict.fromkeys(CATEGORIES, 0)
    indicators_used: set[str] = set()
    for entry in LIBRARY:
        key = entry.get("key", "?")
        assert set(entry) == _ENTRY_FIELDS, (
            f"{key}: fields {sorted(set(entry) ^ _ENTRY_FIELDS)}"
        )
        assert isinstance(key, str) and _KEY_RE.fullmatch(key), (
            f"{key!r}: key must be kebab-case [a-z0-9-]"
        )
        assert len(key) <= 80, f"{key}: key longer than 80 characters"
        assert key not in keys, f"{key}: duplicate key"
        keys.add(key)

        assert 0 < len(entry["title"].strip()) < 200, (
            f"{key}: title empty or 200+ chars"
        )
        assert entry["cause"].strip(), f"{key}: empty cause"
        assert entry["consequence"].strip(), f"{key}: empty consequence"

        assert entry["category"] in per_category, (
            f"{key}: bad category {entry['category']!r}"
        )
        per_category[entry["category"]] += 1

        for field in ("likelihood", "impact"):
            value = entry[field]
            assert type(value) is int and 1 <= value <= 5, (
                f"{key}: {field} must be an int 1-5, got {value!r}"
            )

        use_cases = entry["use_cases"]
        assert isinstance(use_cases, list) and _unique(use_cases), (
            f"{key}: use_cases must be a list without repeats"
        )
        unknown = set(use_cases) - set(USE_CASES)
        assert not unknown, f"{key}: unknown use cases {sorted(unknown)}"

        min_class = entry["min_classification"]
        assert min_class == "" or min_class in CLASSIFICATIONS[1:], (
            f"{key}: bad min_classification {min_class!r}"
        )

        frameworks = entry["frameworks"]
        assert isinstance(frameworks, list) and _unique(frameworks), (
            f"{key}: frameworks must be a list without repeats"
        )
        unknown = set(frameworks) - set(FRAMEWORK_CODES)
        assert not unknown, f"{key}: unknown framework codes {sorted(unknown)}"

        mitigations = entry["mitigations"]
        assert isinstance(mitigations, list) and 1 <= len(mitigations) <= 4, (
            f"{key}: needs 1-4 mitigations"
        )
        assert _unique(mitigations), f"{key}: repeated mitigation"
        for mitigation in mitigations:
            item = checklist.get(mitigation)
            assert item is not None, f"{key}: unknown checklist item {mitigation!r}"
            # The item must apply to every project the risk applies to.
            if item["frameworks"]:
                assert frameworks and set(frameworks) <= set(item["frameworks"]), (
                    f"{key}: {mitigation} is limited to {item['frameworks']}"
                )
            assert _rank(item["min_classification"]) <= _rank(min_class), (
                f"{key}: {mitigation} needs {item['min_classification']} data"
            )

        indicator = entry["indicator"]
        assert indicator == "" or indicator in INDICATORS, (
            f"{key}: bad indicator {indicator!r}"
        )
        if indicator:
            indicators_used.add(indicator)

    thin = [category for category, count in per_category.items() if count < 2]
    assert not thin, f"categories with fewer than 2 entries: {thin}"
    unused = set(INDICATORS) - indicators_used
    assert not unused, f"indicators no entry uses: {sorted(unused)}"
    assert len(LIBRARY) >= 30, f"only {len(LIBRARY)} library entries"


if __name__ == "__main__":
    validate()
    print(f"library OK: {len(LIBRARY)} entries")
