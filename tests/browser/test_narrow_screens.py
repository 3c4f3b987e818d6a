"""Runway on a phone, 390 px wide, with a 1366 px laptop as the control.

No page scrolls sideways: cards stack, the project's tab bar scrolls inside itself, wide
tables scroll inside their own labelled box and charts fit their card. The text of a
not-applicable checklist item, and muted text in general, meets WCAG AA (4.5:1).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from metrics import services as metric_services
from projects import services
from projects.models import ChecklistItem, ItemState
from projects.roles import GlobalRole
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory, approve_requirements

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
AA = 4.5
LONG_URL = (
    "https://wiki.example.com/requirements/claims-triage-assistant/"
    "production-readiness/sizing-and-latency-targets-v3"
)

# How far the page scrolls sideways, and if it does, the deepest elements that cause it
# (each one's removal narrows the page), so that a failure names its culprit.
SIDEWAYS = """() => {
  const root = document.documentElement, width = window.innerWidth;
  const scrollWidth = root.scrollWidth, culprits = [];
  if (scrollWidth > width) {
    for (const el of document.querySelectorAll("body *")) {
      const display = el.style.display;
      el.style.setProperty("display", "none", "important");
      const narrower = root.scrollWidth < scrollWidth;
      el.style.display = display;
      if (narrower) culprits.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.classList.length ? "." + [...el.classList].join(".") : ""));
    }
  }
  return {scrollWidth, width, culprits: culprits.slice(-6)};
}"""

# The contrast ratio of an element's text with what is painted behind it: the
# backgrounds of it and its ancestors, each ancestor's opacity blending it, and what it
# covers, into the colour of the text and of the ground (WCAG 2 relative luminance).
CONTRAST = """el => {
  const parse = c => {
    const p = c.match(/rgba?\\(([^)]*)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, back) => [0, 1, 2].map(i => top[i] * top[3] + back[i] * (1 - top[3]));
  const mix = (a, b, o) => [0, 1, 2].map(i => a[i] * o + b[i] * (1 - o));
  const chain = [];
  for (let e = el; e; e = e.parentElement) chain.unshift(e);
  const text = parse(getComputedStyle(el).color);
  const paint = (i, backdrop, withText) => {
    if (i === chain.length) return withText ? over(text, backdrop) : backdrop;
    const style = getComputedStyle(chain[i]);
    const inside = paint(i + 1, over(parse(style.backgroundColor), backdrop), withText);
    return mix(inside, backdrop, parseFloat(style.opacity));
  };
  const luminance = rgb => {
    const [r, g, b] = rgb.map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const white = [255, 255, 255];
  const a = luminance(paint(0, white, true)), b = luminance(paint(0, white, false));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""

# Every visible element under root that holds text of its own, as [text, ratio].
TEXT_CONTRASTS = (
    """(root, selector) => {
  const contrast = """
    + CONTRAST
    + """;
  const found = [];
  for (const el of root.querySelectorAll(selector)) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent)
      .join("").trim();
    const box = el.getBoundingClientRect();
    if (!own || box.width < 2 || box.height < 2 || el.closest(".visually-hidden, svg"))
      continue;
    found.push([own.slice(0, 50), Math.round(contrast(el) * 100) / 100]);
  }
  return found;
}"""
)

MUTED = (
    ".subtle, .help, .tag-muted, .breadcrumb, .tile-label, .stepper-progress, .tabs a"
)


@pytest.fixture
def product():
    """A product manager's project with a week of demo metrics (so charts, tiles and
    an open alert), a gap assessment, a not-applicable item, evidence with a long link
    and a notification."""
    from assessments import services as assessment_services
    from assessments.models import AssessmentCriterion

    pm = UserFactory(
        email="pm@runway.example",
        first_name="Priya",
        roles=[GlobalRole.PRODUCT_MANAGER],
    )
    lead = UserFactory(email="lead@runway.example", first_name="Leo")
    project = services.project_create(
        name="Claims Triage Assistant",
        team=TeamFactory(name="Claims"),
        owner=pm,
        lead=lead,
    )
    approve_requirements(project, pm)
    source = metric_services.service_create(
        project=project,
        kind="demo",
        name="Demo generator",
        created_by=pm,
        config={"seed": "browser", "quality_score_name": "helpfulness"},
    )
    metric_services.service_sync(service=source)
    services.project_create(
        name="Sales Email Writer", team=TeamFactory(name="Sales"), owner=pm
    )
    assessment_services.assessment_record(
        project=project,
        assessor=lead,
        scores=[
            assessment_services.ScoreInput(c, 2, 4)
            for c in AssessmentCriterion.objects.all()
        ],
    )
    items = list(
        ChecklistItem.objects.filter(project=project, step__number=1).order_by("order")
    )
    services.item_set_state(
        item=items[-1],
        state=ItemState.NOT_APPLICABLE,
        actor=lead,
        justification="The assistant only drafts; a person always sends the reply.",
    )
    services.evidence_add(item=items[0], actor=lead, url=LONG_URL)
    services.item_update(
        item=items[1], assignee=pm, due_date=None, notes="Please size this.", actor=lead
    )
    return project, items[-1]


def assert_no_sideways_scroll(page, where):
    found = page.evaluate(SIDEWAYS)
    assert found["scrollWidth"] <= found["width"], (where, found)


def settle(page):
    """Wait until every chart on the page is drawn: a chart drawn late could still
    widen the page."""
    page.wait_for_load_state("load")
    # A function, not an expression: the page's CSP forbids the eval that polls one.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every(c => c.querySelector('.main-svg'))"
    )


def assert_charts_fit(page, where):
    for chart in page.locator("[data-chart]").all():
        drawn = chart.locator(".main-svg").first.bounding_box()
        card = chart.locator("xpath=ancestor::section[1]").bounding_box()
        assert drawn["x"] >= card["x"] - 1, (where, drawn, card)
        assert drawn["x"] + drawn["width"] <= card["x"] + card["width"] + 1, (
            where,
            drawn,
            card,
        )


def assert_scroll_boxes_are_labelled_regions(page, where):
    for box in page.locator(".table-scroll").all():
        assert box.get_attribute("tabindex") == "0", where
        assert box.get_attribute("role") == "region", where
        assert box.get_attribute("aria-label"), where


def project_tab(page, name):
    return page.get_by_role("navigation", name="Project").get_by_role(
        "link", name=name, exact=True
    )


def check_tab_bar(page, viewport, current):
    bar = page.get_by_role("navigation", name="Project")
    box = bar.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    overflow, scroll_width, client_width = bar.evaluate(
        "el => [getComputedStyle(el).overflowX, el.scrollWidth, el.clientWidth]"
    )
    assert overflow == "auto"
    if viewport is PHONE:
        # Eight tabs do not fit in 390 px: the bar scrolls, the page does not...
        assert scroll_width > client_width
        # ...and it shows the current tab.
        tab = project_tab(page, current).bounding_box()
        assert box["x"] - 1 <= tab["x"]
        assert tab["x"] + tab["width"] <= box["x"] + box["width"] + 1
    else:
        assert scroll_width <= client_width
    expect(project_tab(page, current)).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_no_page_scrolls_sideways(live_server, page, product, viewport):
    project, _ = product
    problems = page_problems(page)
    page.set_viewport_size(viewport)
    sign_in(page, live_server, "pm@runway.example")

    # The portfolio: its two-column cards stack on the phone, side by side otherwise,
    # and the step chart stays inside its card.
    settle(page)
    assert_no_sideways_scroll(page, "portfolio")
    assert_charts_fit(page, "portfolio")
    assert_scroll_boxes_are_labelled_regions(page, "portfolio")
    steps = page.get_by_role("region", name="Projects by transition step")
    alerts = page.get_by_role("region", name="Open alerts")
    expect(alerts).to_contain_text("Claims Triage Assistant")
    steps_box, alerts_box = steps.bounding_box(), alerts.bounding_box()
    if viewport is PHONE:
        assert steps_box["x"] == alerts_box["x"]
        assert alerts_box["y"] >= steps_box["y"] + steps_box["height"]
        # The projects table scrolls in its own box, by keyboard too.
        table = page.get_by_role("region", name="Projects table")
        assert table.evaluate("el => el.scrollWidth > el.clientWidth")
        table.focus()
        page.keyboard.press("ArrowRight")
        expect(table).not_to_have_js_property("scrollLeft", 0)
    else:
        assert alerts_box["x"] > steps_box["x"] + steps_box["width"]
        assert alerts_box["y"] == steps_box["y"]

    page.get_by_role("region", name="Projects table").get_by_role(
        "link", name="Claims Triage Assistant"
    ).click()
    page.wait_for_url(f"**/projects/{project.slug}/")
    assert_no_sideways_scroll(page, "project overview")
    check_tab_bar(page, viewport, "Overview")

    # The current step, with a checklist, a not-applicable item and a long link.
    project_tab(page, "Steps").click()
    page.wait_for_url(f"**/projects/{project.slug}/steps/1/")
    expect(page.get_by_role("heading", name="Checklist")).to_be_visible()
    expect(page.get_by_role("link", name=LONG_URL[:40])).to_be_visible()
    assert_no_sideways_scroll(page, "step page")
    check_tab_bar(page, viewport, "Steps")

    # A tab past the edge of the phone's screen: still reachable, and shown once open.
    project_tab(page, "Dashboard").click()
    page.wait_for_url(f"**/projects/{project.slug}/dashboard/")
    settle(page)
    assert_no_sideways_scroll(page, "dashboard")
    assert_charts_fit(page, "dashboard")
    assert_scroll_boxes_are_labelled_regions(page, "dashboard")
    check_tab_bar(page, viewport, "Dashboard")

    for tab, path in [("Metrics", "metrics/"), ("Assessments", "assessments/")]:
        project_tab(page, tab).click()
        page.wait_for_url(f"**/projects/{project.slug}/{path}")
        settle(page)
        assert_no_sideways_scroll(page, tab)
        assert_charts_fit(page, tab)
        assert_scroll_boxes_are_labelled_regions(page, tab)
        check_tab_bar(page, viewport, tab)

    # Pages off the main navigation, which is behind the menu button on the phone.
    main_nav = page.get_by_role("navigation", name="Main")
    pages = [("Assessments", "**/assessments/")]
    if main_nav.get_by_role("link", name="My work").count():
        pages.append(("My work", "**/my-work/"))
    for name, url in pages:
        if viewport is PHONE:
            page.get_by_role("button", name="Menu").click()
        main_nav.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        assert_no_sideways_scroll(page, name)
        assert_scroll_boxes_are_labelled_regions(page, name)

    page.get_by_role("link", name="unread notifications").click()
    page.wait_for_url("**/notifications/")
    expect(page.get_by_role("main")).to_contain_text("You are assigned")
    assert_no_sideways_scroll(page, "notifications")
    assert problems == [], problems


def test_a_dashboard_drawn_wide_refits_when_the_window_narrows(
    live_server, page, product
):
    project, _ = product
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server, "pm@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/dashboard/")
    settle(page)
    page.set_viewport_size(PHONE)
    # Plotly redraws responsive charts on a resize, at the width of their card.
    page.wait_for_function(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(c =>"
        " c.querySelector('.main-svg').getBoundingClientRect().width"
        " <= c.getBoundingClientRect().width + 1)"
    )
    assert_charts_fit(page, "dashboard after resize")


def test_not_applicable_items_and_muted_text_meet_aa_contrast(
    live_server, page, product
):
    project, not_applicable = product
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "pm@runway.example")

    page.goto(f"{live_server.url}/projects/{project.slug}/steps/1/")
    item = page.locator(f"#item-{not_applicable.pk}")
    expect(item.get_by_text("Not applicable", exact=True)).to_be_visible()
    item.get_by_text("Guidance").click()  # its muted guidance text too
    texts = item.evaluate(TEXT_CONTRASTS, "*")
    shown = " ".join(text for text, _ in texts)
    for words in (not_applicable.title, "Not applicable", "Why not applicable"):
        assert words[:30] in shown, (words, texts)
    low = [(text, ratio) for text, ratio in texts if ratio < AA]
    assert low == [], low

    for url in (
        "/",
        f"/projects/{project.slug}/steps/1/",
        f"/projects/{project.slug}/dashboard/",
    ):
        page.goto(live_server.url + url)
        texts = page.locator("body").evaluate(TEXT_CONTRASTS, MUTED)
        assert len(texts) > 3, (url, texts)
        low = [(text, ratio) for text, ratio in texts if ratio < AA]
        assert low == [], (url, low)
