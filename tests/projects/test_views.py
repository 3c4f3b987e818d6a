"""The project pages and the portfolio, as each persona sees them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import Membership, Project, ProjectRole
from projects.roles import GlobalRole
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.projects.conftest import table_names

LIST = reverse("projects:list")
CREATE = reverse("projects:create")
HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "project-table"}


@pytest.fixture(autouse=True)
def _mfa_off(settings):
    # MFA enforcement for admins has its own tests; here it would only redirect.
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def someone_elses_project(db):
    other = ProjectFactory(name="Hidden Helper")
    MembershipFactory(project=other, role=ProjectRole.OWNER)
    return other


def _names(response):
    return table_names(response)


# /projects/


def test_members_see_only_their_projects_in_the_list(
    signed_in, owner, someone_elses_project
):
    response = signed_in(owner).get(LIST)
    assert response.status_code == 200
    assert _names(response) == ["Support Copilot"]
    assert "Support Copilot" in response.text
    assert "Hidden Helper" not in response.text


def test_executives_see_every_unarchived_project(
    signed_in, executive, project, someone_elses_project
):
    ProjectFactory(name="Archived Agent", archived_at=timezone.now())
    response = signed_in(executive).get(LIST)
    assert _names(response) == ["Hidden Helper", "Support Copilot"]
    assert "Archived Agent" not in response.text


def test_the_list_shows_owner_and_lead_from_the_memberships(signed_in, owner, lead):
    response = signed_in(owner).get(LIST)
    assert owner.display_name in response.text
    assert lead.display_name in response.text


def test_each_row_names_its_owner_and_lead_escaped_and_its_flags(signed_in, executive):
    project = ProjectFactory(name="<b>Bold</b> Bot", target_launch_date=None)
    MembershipFactory(
        project=project,
        role=ProjectRole.OWNER,
        user=UserFactory(first_name="Ada", last_name="<Owner>"),
    )
    MembershipFactory(
        project=project,
        role=ProjectRole.LEAD,
        user=UserFactory(first_name="", last_name="", email="lead@example.com"),
    )
    MembershipFactory(project=project, role=ProjectRole.CONTRIBUTOR)
    text = signed_in(executive).get(LIST, **HTMX_TABLE).text
    row = text.split("<tbody>")[1].split("</tbody>")[0]
    assert (
        f'<a href="{project.get_absolute_url()}">&lt;b&gt;Bold&lt;/b&gt; Bot</a>' in row
    )
    assert "<td>Ada &lt;Owner&gt;</td>" in row
    assert "<td>lead@example.com</td>" in row  # no name: the email
    assert '<td class="num">—</td>' in row  # no target launch
    assert f"<td>{project.team.name}</td>" in row
    assert "<td>1 of 7</td>" in row  # no step rows yet: step 1
    assert '<span class="badge badge-on_track">On track</span>' in row


def test_the_table_page_costs_the_same_queries_at_5_and_55_projects(
    signed_in, executive
):
    def queries(client):
        client.get(LIST, {"page": 2}, **HTMX_TABLE)  # the session's first write
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST, {"page": 2}, **HTMX_TABLE).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for project in ProjectFactory.create_batch(n):
            MembershipFactory(project=project, role=ProjectRole.OWNER)
            MembershipFactory(project=project, role=ProjectRole.LEAD)

    client = signed_in(executive)
    add(55)
    at_55 = queries(client)
    Project.objects.filter(pk__in=Project.objects.order_by("-pk")[:50]).delete()
    assert queries(client) == at_55


def test_the_list_searches_by_name(
    signed_in, executive, project, someone_elses_project
):
    response = signed_in(executive).get(LIST, {"q": "  hidden "})
    assert _names(response) == ["Hidden Helper"]
    assert response.context["query"] == "hidden"


def test_search_never_reaches_projects_the_user_may_not_see(
    signed_in, owner, someone_elses_project
):
    response = signed_in(owner).get(LIST, {"q": "Hidden"})
    assert _names(response) == []
    assert "No project matches your search" in response.text


def _project_reads(queries):
    return [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "projects_project"' in q["sql"]
    ]


def test_a_page_of_the_table_is_read_once_until_a_project_changes(signed_in, executive):
    project = ProjectFactory(name="Claims Triage Assistant")
    owner = MembershipFactory(project=project, role=ProjectRole.OWNER).user
    client = signed_in(executive)
    client.get(LIST, **HTMX_TABLE)

    with CaptureQueriesContext(connection) as again:
        response = client.get(LIST, **HTMX_TABLE)
    assert _project_reads(again) == []
    assert _names(response) == ["Claims Triage Assistant"]

    project.name = "Claims Triage Copilot"
    project.save()
    with CaptureQueriesContext(connection) as changed:
        response = client.get(LIST, **HTMX_TABLE)
    assert _project_reads(changed)
    assert _names(response) == ["Claims Triage Copilot"]

    owner.first_name, owner.last_name = "Renamed", "Owner"
    owner.save(update_fields=["first_name", "last_name"])
    assert "Renamed Owner" in client.get(LIST, **HTMX_TABLE).text


def test_executives_share_table_pages_but_members_get_their_own(
    signed_in, executive, owner, project, someone_elses_project
):
    assert someone_elses_project.name in _names(signed_in(executive).get(LIST))
    member_view = _names(signed_in(owner).get(LIST))
    assert project.name in member_view
    assert someone_elses_project.name not in member_view


def test_the_list_pages_at_fifty(signed_in, executive):
    ProjectFactory.create_batch(51)
    client = signed_in(executive)

    first = client.get(LIST)
    assert len(_names(first)) == 50
    assert "Page 1 of 2" in first.text
    assert 'rel="next"' in first.text

    second = client.get(LIST, {"page": 2})
    assert len(_names(second)) == 1
    assert not set(_names(first)) & set(_names(second))


def test_a_page_past_the_end_shows_the_last_page(signed_in, executive):
    ProjectFactory.create_batch(51)
    response = signed_in(executive).get(LIST, {"page": 99})
    assert response.status_code == 200
    assert response.context["page"].number == 2


def test_an_htmx_request_for_the_table_gets_only_the_table(signed_in, owner):
    response = signed_in(owner).get(LIST, {"q": "support"}, **HTMX_TABLE)
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<div id="project-table">')
    assert "Support Copilot" in text
    assert "<html" not in text
    assert "<form" not in text


def test_an_htmx_request_for_another_target_gets_the_full_page(signed_in, owner):
    response = signed_in(owner).get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="main")
    assert "<html" in response.text


def test_the_empty_list_invites_creators_to_create(signed_in, pm):
    response = signed_in(pm).get(LIST)
    assert response.status_code == 200
    assert "No projects yet" in response.text
    assert f'href="{CREATE}"' in response.text


def test_the_empty_list_tells_others_they_will_be_added(signed_in, db):
    response = signed_in(UserFactory()).get(LIST)
    assert "No projects yet" in response.text
    assert "once you are added to one" in response.text
    assert f'href="{CREATE}"' not in response.text


def test_the_list_answers_405_to_post(signed_in, owner):
    assert signed_in(owner).post(LIST).status_code == 405


# /projects/new/


def _form(team, **extra):
    return {
        "name": "Claims Intake Assistant",
        "team": team.pk,
        "summary": "Reads claims.",
        "use_case": "rag_assistant",
        "prototype_origin": "lovable",
        "data_classification": "regulated",
        **extra,
    }


def test_a_pm_creates_a_project_and_becomes_its_owner(signed_in, pm):
    team = TeamFactory()
    client = signed_in(pm)
    assert client.get(CREATE).status_code == 200

    response = client.post(CREATE, _form(team, owner=pm.pk))

    project = Project.objects.get(name="Claims Intake Assistant")
    assert response.status_code == 302
    assert response.url == project.get_absolute_url()
    assert project.team == team
    assert project.slug == "claims-intake-assistant"
    assert project.summary == "Reads claims."
    assert list(project.memberships.values_list("user", "role")) == [
        (pm.pk, ProjectRole.OWNER)
    ]
    assert client.get(response.url).status_code == 200


def test_the_create_form_proposes_the_creator_as_owner(signed_in, pm):
    form = signed_in(pm).get(CREATE).context["form"]
    assert form["owner"].value() == pm.pk


def test_a_pm_names_a_lead_who_becomes_a_lead_member(signed_in, pm):
    lead = UserFactory(roles=[GlobalRole.ENGINEERING_LEAD])
    signed_in(pm).post(CREATE, _form(TeamFactory(), owner=pm.pk, lead=lead.pk))
    project = Project.objects.get()
    assert dict(project.memberships.values_list("role", "user")) == {
        ProjectRole.OWNER: pm.pk,
        ProjectRole.LEAD: lead.pk,
    }


def test_a_lead_creates_a_project_naming_a_different_owner(signed_in, pm):
    lead = UserFactory(roles=[GlobalRole.ENGINEERING_LEAD])
    response = signed_in(lead).post(
        CREATE, _form(TeamFactory(), owner=pm.pk, lead=lead.pk)
    )
    assert response.status_code == 302
    project = Project.objects.get()
    assert dict(project.memberships.values_list("role", "user")) == {
        ProjectRole.OWNER: pm.pk,
        ProjectRole.LEAD: lead.pk,
    }


def test_an_admin_may_create_a_project_for_others(signed_in, admin_user, pm):
    lead = UserFactory(roles=[GlobalRole.ENGINEERING_LEAD])
    response = signed_in(admin_user).post(
        CREATE, _form(TeamFactory(), owner=pm.pk, lead=lead.pk)
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(user=admin_user).exists()


def test_a_creator_who_is_neither_owner_nor_lead_gets_a_form_error(signed_in, pm):
    other_pm = UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])
    response = signed_in(pm).post(CREATE, _form(TeamFactory(), owner=other_pm.pk))
    assert response.status_code == 200
    assert "Name yourself as owner or as engineering lead" in response.text
    assert response.context["form"].non_field_errors()
    assert not Project.objects.exists()


def test_the_owner_cannot_also_be_the_lead(signed_in, pm):
    response = signed_in(pm).post(CREATE, _form(TeamFactory(), owner=pm.pk, lead=pm.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["lead"]
    assert not Project.objects.exists()


@pytest.mark.parametrize("missing", ["name", "team", "owner"])
def test_form_errors_re_render_with_200_and_create_nothing(signed_in, pm, missing):
    data = _form(TeamFactory(), owner=pm.pk)
    data[missing] = ""
    response = signed_in(pm).post(CREATE, data)
    assert response.status_code == 200
    assert response.context["form"].errors[missing]
    assert "Please correct the following" in response.text
    assert not Project.objects.exists()
    assert not Membership.objects.exists()


def test_a_deactivated_person_cannot_be_named_owner(signed_in, pm):
    gone = UserFactory(roles=[GlobalRole.PRODUCT_MANAGER], is_active=False)
    response = signed_in(pm).post(
        CREATE, _form(TeamFactory(), owner=gone.pk, lead=pm.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["owner"]
    assert not Project.objects.exists()


def test_an_htmx_create_answers_with_a_client_redirect(signed_in, pm):
    response = signed_in(pm).post(
        CREATE, _form(TeamFactory(), owner=pm.pk), HTTP_HX_REQUEST="true"
    )
    project = Project.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == project.get_absolute_url()


def test_two_projects_with_the_same_name_get_different_slugs(signed_in, pm):
    client = signed_in(pm)
    team = TeamFactory()
    client.post(CREATE, _form(team, owner=pm.pk))
    client.post(CREATE, _form(team, owner=pm.pk))
    slugs = sorted(Project.objects.values_list("slug", flat=True))
    assert slugs == ["claims-intake-assistant", "claims-intake-assistant-2"]


def test_a_project_named_new_stays_reachable(signed_in, pm):
    client = signed_in(pm)
    response = client.post(CREATE, _form(TeamFactory(), name="New", owner=pm.pk))
    project = Project.objects.get()
    assert response.url == project.get_absolute_url()
    page = client.get(project.get_absolute_url())
    assert page.status_code == 200
    assert page.context["project"] == project


@pytest.mark.parametrize("roles", [[GlobalRole.EXECUTIVE], [GlobalRole.REVIEWER], []])
def test_people_who_may_not_create_projects_get_403(db, signed_in, roles):
    user = UserFactory(roles=roles)
    client = signed_in(user)
    assert client.get(CREATE).status_code == 403
    response = client.post(CREATE, _form(TeamFactory(), owner=user.pk))
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_project_members_without_a_creating_role_get_403(signed_in, owner):
    assert signed_in(owner).get(CREATE).status_code == 403


def test_create_answers_405_to_other_methods(signed_in, pm):
    client = signed_in(pm)
    assert client.put(CREATE).status_code == 405
    assert client.delete(CREATE).status_code == 405


def test_the_new_project_button_shows_only_to_creators(signed_in, pm, executive):
    assert f'href="{CREATE}"' in signed_in(pm).get(LIST).text
    assert f'href="{CREATE}"' not in signed_in(executive).get(LIST).text


# /projects/<slug>/


@pytest.mark.parametrize(
    "persona", ["owner", "lead", "contributor", "reviewer", "viewer"]
)
def test_members_open_the_project(signed_in, request, project, persona):
    user = request.getfixturevalue(persona)
    response = signed_in(user).get(project.get_absolute_url())
    assert response.status_code == 200
    assert response.context["project"] == project
    assert user.display_name in response.text


@pytest.mark.parametrize("persona", ["executive", "admin_user"])
def test_executives_and_admins_open_any_project(
    signed_in, request, project, owner, persona
):
    response = signed_in(request.getfixturevalue(persona)).get(
        project.get_absolute_url()
    )
    assert response.status_code == 200
    assert owner.display_name in response.text


def test_only_the_owner_and_admins_are_offered_editing(
    signed_in, project, owner, lead, executive, admin_user
):
    url = project.get_absolute_url()
    settings_tab = reverse("projects:edit", args=[project.slug])
    # In this order, so that a reader is never served the editors' cached rendering.
    for person, may_edit in (
        (owner, True),
        (lead, False),
        (admin_user, True),
        (executive, False),
    ):
        page = signed_in(person).get(url).text
        assert (settings_tab in page) is may_edit, person
        assert ("Manage members" in page) is may_edit, person


def test_outsiders_get_404_for_a_project(signed_in, project, outsider):
    response = signed_in(outsider).get(project.get_absolute_url())
    assert response.status_code == 404
    assert "Support Copilot" not in response.text


def test_an_unknown_project_is_404(signed_in, executive):
    assert (
        signed_in(executive).get(reverse("projects:detail", args=["nope"])).status_code
        == 404
    )


def test_the_project_page_answers_405_to_post(signed_in, project, owner):
    assert signed_in(owner).post(project.get_absolute_url()).status_code == 405


# The portfolio, /


def test_the_portfolio_shows_only_the_users_projects(
    signed_in, owner, someone_elses_project
):
    response = signed_in(owner).get("/")
    assert response.status_code == 200
    assert [row.name for row in response.context["rows"]] == ["Support Copilot"]
    assert "Hidden Helper" not in response.text
    assert response.context["overview"].in_flight == 1


def test_the_portfolio_shows_executives_every_project(
    signed_in, executive, project, someone_elses_project
):
    someone_elses_project.status = "at_risk"
    someone_elses_project.save()
    response = signed_in(executive).get("/")
    assert [row.name for row in response.context["rows"]] == [
        "Hidden Helper",
        "Support Copilot",
    ]
    assert response.context["overview"].in_flight == 2
    assert response.context["overview"].at_risk == 1
    assert "Every AI project in the company" in response.text


def test_the_portfolio_counts_a_project_once_however_many_members_it_has(
    signed_in, owner, lead, viewer
):
    response = signed_in(owner).get("/")
    assert response.context["overview"].in_flight == 1


def test_the_portfolio_is_empty_for_someone_with_no_projects(
    signed_in, outsider, someone_elses_project
):
    response = signed_in(outsider).get("/")
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["overview"].in_flight == 0
    assert "No projects yet" in response.text
    assert "Hidden Helper" not in response.text


def test_the_empty_portfolio_of_a_non_creator_explains_how_projects_arrive(
    signed_in, db
):
    response = signed_in(UserFactory()).get("/")
    assert "once a product manager adds you to one" in response.text
    assert f'href="{CREATE}"' not in response.text


def test_the_portfolio_answers_405_to_post(signed_in, owner):
    assert signed_in(owner).post("/").status_code == 405


def test_filter_options_are_escaped_and_keep_the_chosen_one(signed_in, executive):
    team = TeamFactory(name="R&D <Labs>")
    ProjectFactory(team=team)
    body = signed_in(executive).get(LIST, {"team": team.slug}).text
    assert f'<option value="{team.slug}" selected>R&amp;D &lt;Labs&gt;</option>' in body
    assert "<Labs>" not in body
