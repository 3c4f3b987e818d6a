"""The demo portfolio as plain data: the projects `seed_demo` creates, and the few
stories the seeder tells with them (portal/demo.py writes them through the services)."""

from __future__ import annotations

from dataclasses import dataclass

from projects.models import ProjectStatus
from risks.ai_act import Answers


@dataclass(frozen=True)
class DemoProject:
    name: str
    team: str
    use_case: str
    origin: str
    classification: str
    frameworks: tuple[str, ...]
    stage: int  # the current step; 8 means launched
    status: str = ProjectStatus.ON_TRACK
    summary: str = ""
    # The EU AI Act questionnaire as its owner answered it; None: not assessed yet.
    ai_act: Answers | None = None


ON, RISK, BLOCKED, PAUSED = (
    ProjectStatus.ON_TRACK,
    ProjectStatus.AT_RISK,
    ProjectStatus.BLOCKED,
    ProjectStatus.PAUSED,
)
PORTFOLIO = [
    DemoProject(
        "Support Copilot",
        "Customer Support",
        "copilot",
        "lovable",
        "confidential",
        ("soc2", "gdpr"),
        3,
        ON,
        "Drafts answers for support agents from the help centre and past tickets.",
        ai_act=Answers(
            users=("staff",),
            purpose="Drafts replies for support agents, who edit and send them.",
            transparency=("interacts", "synthetic_content"),
        ),
    ),
    DemoProject(
        "Claims Intake Assistant",
        "Claims Operations",
        "rag_assistant",
        "lovable",
        "regulated",
        ("hipaa", "soc2"),
        3,
        RISK,
        "Reads claim documents and pre-fills the intake form.",
        ai_act=Answers(
            users=("staff",),
            purpose="Pre-fills the claim intake form from the documents a claimant "
            "sent; a claims handler checks every field. It prices no insurance and "
            "decides no claim.",
        ),
    ),
    DemoProject(
        "Sales Call Summariser",
        "Sales Enablement",
        "agent",
        "chat_assistant",
        "internal",
        (),
        2,
        PAUSED,
        "Summarises recorded sales calls into CRM notes and next steps.",
        ai_act=Answers(
            users=("staff",),
            purpose="Summarises recorded sales calls into CRM notes for the seller.",
        ),
    ),
    DemoProject(
        "Policy Q&A Bot",
        "Customer Support",
        "chatbot",
        "bolt",
        "internal",
        ("gdpr",),
        8,
        ON,
        "Answers employees' questions about travel and expense policy.",
        ai_act=Answers(
            users=("staff",),
            purpose="Answers employees' questions about the travel and expense policy.",
            transparency=("interacts",),
        ),
    ),
    DemoProject(
        "Contract Clause Finder",
        "Legal Operations",
        "rag_assistant",
        "v0",
        "confidential",
        ("soc2",),
        5,
        ON,
        "Finds risky clauses in supplier contracts and cites the playbook.",
    ),
    DemoProject(
        "Fraud Alert Triage",
        "Payments",
        "agent",
        "hand_written",
        "regulated",
        ("pci_dss", "soc2"),
        4,
        BLOCKED,
        "Ranks card-fraud alerts and drafts the analyst's first note.",
        ai_act=Answers(
            users=("staff",),
            purpose="Ranks card-fraud alerts for analysts; detecting financial fraud "
            "is left out of Annex III's credit scoring.",
        ),
    ),
    DemoProject(
        "Developer Docs Copilot",
        "Platform Engineering",
        "copilot",
        "replit",
        "internal",
        (),
        7,
        ON,
        "Answers questions about internal APIs from the developer portal.",
    ),
    DemoProject(
        "HR Onboarding Guide",
        "People Operations",
        "chatbot",
        "lovable",
        "confidential",
        ("gdpr", "eu_ai_act"),
        2,
        ON,
        "Walks new joiners through their first two weeks.",
        ai_act=Answers(
            users=("staff",),
            purpose="Guides new joiners through their first two weeks; it decides "
            "nothing about their employment.",
            transparency=("interacts",),
        ),
    ),
    DemoProject(
        "Invoice Extraction",
        "Finance Operations",
        "agent",
        "bolt",
        "confidential",
        ("soc2",),
        6,
        RISK,
        "Extracts line items from supplier invoices into the ERP.",
    ),
    DemoProject(
        "Clinical Notes Summary",
        "Claims Operations",
        "rag_assistant",
        "hand_written",
        "regulated",
        ("hipaa",),
        4,
        ON,
        "Summarises clinical notes attached to prior-authorisation requests.",
    ),
    DemoProject(
        "Churn Risk Explainer",
        "Sales Enablement",
        "copilot",
        "chat_assistant",
        "internal",
        (),
        1,
        ON,
        "Explains why an account is flagged as a churn risk.",
    ),
    DemoProject(
        "IT Helpdesk Agent",
        "Platform Engineering",
        "agent",
        "replit",
        "internal",
        ("iso_42001",),
        8,
        ON,
        "Resolves password resets and access requests end to end.",
        ai_act=Answers(
            users=("staff",),
            purpose="Resolves password resets and access requests in a chat.",
            transparency=("interacts",),
        ),
    ),
    DemoProject(
        "Marketing Copy Assistant",
        "Marketing",
        "copilot",
        "v0",
        "public",
        (),
        5,
        ON,
        "Drafts campaign copy in the brand voice for review.",
        ai_act=Answers(
            users=("staff",),
            purpose="Drafts campaign copy that marketers review and publish.",
            transparency=("synthetic_content",),
        ),
    ),
    DemoProject(
        "Procurement Chatbot",
        "Finance Operations",
        "chatbot",
        "lovable",
        "internal",
        (),
        3,
        ON,
        "Helps staff raise purchase requests and pick approved suppliers.",
    ),
    DemoProject(
        "Customer Email Router",
        "Customer Support",
        "agent",
        "bolt",
        "confidential",
        ("gdpr",),
        6,
        ON,
        "Classifies incoming emails and routes them to the right queue.",
        ai_act=Answers(
            users=("staff",),
            purpose="Sorts incoming customer emails into support queues.",
        ),
    ),
    DemoProject(
        "Risk Report Drafter",
        "Legal Operations",
        "rag_assistant",
        "hand_written",
        "confidential",
        ("nist_ai_rmf", "eu_ai_act"),
        2,
        RISK,
        "Drafts the quarterly operational-risk report from incident data.",
        ai_act=Answers(
            users=("staff",),
            purpose="Drafts the quarterly operational-risk report for the risk team.",
        ),
    ),
    DemoProject(
        "Payment Dispute Helper",
        "Payments",
        "copilot",
        "chat_assistant",
        "regulated",
        ("pci_dss",),
        1,
        ON,
        "Guides agents through card dispute rules and evidence requests.",
    ),
    DemoProject(
        "Knowledge Base Search",
        "Customer Support",
        "rag_assistant",
        "replit",
        "internal",
        (),
        7,
        RISK,
        "Semantic search over the public help centre.",
    ),
    DemoProject(
        "Recruiting Screener",
        "People Operations",
        "agent",
        "bolt",
        "confidential",
        ("gdpr", "eu_ai_act"),
        1,
        PAUSED,
        "Summarises applications against the role's criteria for a recruiter.",
        ai_act=Answers(
            users=("staff",),
            purpose="Summarises applications against the role's criteria so that a "
            "recruiter decides whom to interview.",
            annex_iii_area="employment",
            exceptions=("preparatory",),
            profiles_people=True,
        ),
    ),
    DemoProject(
        "Pharmacy Benefits Bot",
        "Claims Operations",
        "chatbot",
        "lovable",
        "regulated",
        ("hipaa", "soc2"),
        5,
        ON,
        "Answers members' questions about their pharmacy benefits.",
        ai_act=Answers(
            users=("customers",),
            purpose="Answers members' questions about their pharmacy benefits; it "
            "sets no premium and decides no claim.",
            transparency=("interacts",),
        ),
    ),
    DemoProject(
        "Expense Auditor",
        "Finance Operations",
        "agent",
        "hand_written",
        "confidential",
        ("soc2",),
        4,
        ON,
        "Flags expense claims that break policy before approval.",
    ),
    DemoProject(
        "Release Notes Writer",
        "Platform Engineering",
        "copilot",
        "v0",
        "internal",
        (),
        8,
        ON,
        "Turns merged pull requests into customer-facing release notes.",
    ),
    DemoProject(
        "Field Service Assistant",
        "Operations",
        "rag_assistant",
        "replit",
        "internal",
        ("iso_42001",),
        3,
        BLOCKED,
        "Gives technicians repair steps from manuals on a tablet.",
    ),
    DemoProject(
        "Board Pack Summariser",
        "Legal Operations",
        "copilot",
        "chat_assistant",
        "confidential",
        (),
        6,
        ON,
        "Summarises board packs into one-page briefings.",
        ai_act=Answers(
            users=("staff",),
            purpose="Summarises board packs into one-page briefings for directors.",
        ),
    ),
    DemoProject(
        "Supplier Risk Monitor",
        "Operations",
        "agent",
        "bolt",
        "internal",
        ("nist_ai_rmf",),
        2,
        ON,
        "Watches supplier news and filings for risk signals.",
    ),
    DemoProject(
        "Voice of Customer Insights",
        "Marketing",
        "rag_assistant",
        "lovable",
        "internal",
        ("gdpr",),
        4,
        RISK,
        "Clusters survey and review feedback into themes with quotes.",
    ),
]


# On-track projects whose team has gone quiet: the portfolio lists them as stalled.
STALLED = {"Procurement Chatbot", "Expense Auditor"}

# A tier changed with its reason, for the history: the screener's owner first claimed
# the Article 6(3) exception for a preparatory task; the DPO pointed out that it
# profiles candidates, which rules the exception out (its preset above).
AI_ACT_FIRST_ANSWERS = {
    "Recruiting Screener": (
        Answers(
            users=("staff",),
            purpose="Summarises applications for a recruiter.",
            annex_iii_area="employment",
            exceptions=("preparatory",),
        ),
        "The DPO pointed out that scoring applications profiles the candidates, so "
        "the preparatory-task exception does not apply.",
    ),
}

# Requests per day a project of each use case plans for, before the seeder scales it.
USE_CASE_VOLUME = {
    "chatbot": 6000,
    "copilot": 2500,
    "rag_assistant": 9000,
    "agent": 1500,
    "other": 1000,
}

# Demo stories told by the metrics: one project runs over its budget (an open alert on
# the portfolio), one at step 7 is too slow (its gate names latency).
OVER_BUDGET = "Invoice Extraction"
TOO_SLOW = "Knowledge Base Search"
# And one sends a tenth of its traffic to a model nobody approved (an open alert and
# an at-risk reason), beside the two the company did approve.
SHADOW_MODEL = ("Customer Email Router", "deepseek-chat")

# Evaluation history, from step 6 on: the evaluation set each use case's nightly runs
# score, and the metrics tracked beside the approved quality score (two of these).
EVALUATION_SETS = {
    "chatbot": "faq-golden",
    "copilot": "drafts-golden",
    "rag_assistant": "grounded-qa",
    "agent": "task-suite",
    "other": "golden",
}
EVALUATION_METRICS = ("answer_relevancy", "conciseness", "faithfulness", "correctness")
# One project at step 6 whose latest run fell against its baseline by more than the
# tolerance: its evaluation alert is open and its last evaluation failed.
EVALUATION_REGRESSED = "Board Pack Summariser"

# The vendors and models the company reviewed: (name, kind, DPA, BAA, residency,
# training terms, months since the last review, models with their approval and the
# most sensitive data they may see).
VENDORS = [
    (
        "OpenAI",
        "model_provider",
        "signed",
        "signed",
        "US",
        "no_training",
        4,
        [("gpt-4o-mini", "approved", "regulated")],
    ),
    (
        "Anthropic",
        "model_provider",
        "signed",
        "signed",
        "US",
        "no_training",
        2,
        [("claude-sonnet-4", "approved", "regulated")],
    ),
    (
        "DeepSeek",
        "model_provider",
        "none",
        "none",
        "CN",
        "unknown",
        0,
        [("deepseek-chat", "not_approved", "")],
    ),
    ("Amazon Web Services", "cloud", "signed", "signed", "EU", "no_training", 9, []),
    (
        "Pinecone",
        "vector_database",
        "in_negotiation",
        "none",
        "US",
        "no_training",
        13,
        [],
    ),
]
