"""The permission matrix of "Who may do what" (domain.md), persona by persona."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from portal.models import User
from projects.access import Action, can, get_project_for_user, visible_projects
from projects.models import ProjectRole
from projects.roles import GlobalRole
from projects.selectors import project_list_for_user
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

A = Action
EVERYTHING = set(Action)
READ_ONLY = {A.VIEW, A.EXPORT}

# Written out from domain.md, not derived from access.py, so that a change to the
# rules has to change this table too.
EXPECTED: dict[str, set[Action]] = {
    "owner": EVERYTHING,
    "lead": {
        A.VIEW,
        A.EXPORT,
        A.WORK_CHECKLIST,
        A.RUN_ASSESSMENT,
        A.CONNECT_SERVICES,
        A.ACKNOWLEDGE_ALERTS,
        A.MANAGE_RISKS,
        A.ACCEPT_BASELINE,
    },
    "contributor": {A.VIEW, A.EXPORT, A.WORK_CHECKLIST},
    "reviewer": READ_ONLY,
    "viewer": READ_ONLY,
    "executive": READ_ONLY,
    "admin_user": EVERYTHING - {A.APPROVE_REQUIREMENTS, A.ACCEPT_BASELINE},
    "outsider": set(),
}
MATRIX = [(persona, action) for persona in EXPECTED for action in Action]


def _fresh(user):
    """The user as a new request would load it, without cached roles."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("persona", "action"), MATRIX, ids=[f"{p}-{a}" for p, a in MATRIX]
)
def test_can_matches_who_may_do_what(request, project, persona, action):
    user = _fresh(request.getfixturevalue(persona))
    assert can(user, project, action) is (action in EXPECTED[persona])


@pytest.mark.parametrize(
    "role",
    [GlobalRole.PRODUCT_MANAGER, GlobalRole.ENGINEERING_LEAD, GlobalRole.REVIEWER],
)
def test_global_roles_other_than_executive_and_admin_see_no_project_by_themselves(
    project, role
):
    user = UserFactory(roles=[role])
    assert not any(can(user, project, action) for action in Action)
    with pytest.raises(Http404):
        get_project_for_user(user, project.slug)


def test_a_reviewer_asked_for_a_sign_off_becomes_a_member_who_sees_the_project(project):
    user = UserFactory(roles=[GlobalRole.REVIEWER])
    MembershipFactory(project=project, user=user, role=ProjectRole.REVIEWER)
    assert can(user, project, A.VIEW)
    assert not can(user, project, A.EDIT)
    assert get_project_for_user(user, project.slug) == project


def test_an_admin_who_owns_the_project_may_approve_its_requirements(project):
    user = UserFactory(roles=[GlobalRole.ADMIN])
    MembershipFactory(project=project, user=user, role=ProjectRole.OWNER)
    assert can(user, project, A.APPROVE_REQUIREMENTS)


def test_an_executive_who_is_also_a_contributor_works_the_checklist(project):
    user = UserFactory(roles=[GlobalRole.EXECUTIVE])
    MembershipFactory(project=project, user=user, role=ProjectRole.CONTRIBUTOR)
    assert can(user, project, A.WORK_CHECKLIST)
    assert not can(user, project, A.EDIT)


def test_the_django_superuser_flag_alone_grants_nothing(project):
    user = UserFactory(is_staff=True, is_superuser=True)
    assert not can(user, project, A.VIEW)


def test_a_role_on_one_project_grants_nothing_on_another(project, owner):
    other = ProjectFactory()
    assert not any(can(owner, other, action) for action in Action)


def test_the_role_is_read_per_user_on_the_same_project_object(project, owner, viewer):
    assert can(owner, project, A.EDIT)
    assert not can(viewer, project, A.EDIT)
    assert can(owner, project, A.EDIT)


def test_a_project_loaded_for_a_member_answers_for_them_without_another_query(
    project, lead, django_assert_num_queries
):
    user = _fresh(lead)
    loaded = get_project_for_user(user, project.slug)  # reads the roles too
    with django_assert_num_queries(0):
        assert can(user, loaded, A.RUN_ASSESSMENT)
        assert not can(user, loaded, A.EDIT)


def test_a_project_loaded_for_one_member_reads_anothers_role_afresh(
    project, owner, viewer
):
    loaded = get_project_for_user(_fresh(viewer), project.slug)
    assert can(_fresh(owner), loaded, A.EDIT)
    assert not can(_fresh(viewer), loaded, A.EDIT)
    assert can(_fresh(owner), loaded, A.EDIT)


# get_project_for_user: 404 for outsiders, 403 for members without the right


@pytest.mark.parametrize("action", list(Action))
def test_outsiders_get_404_for_every_action(project, outsider, action):
    with pytest.raises(Http404):
        get_project_for_user(outsider, project.slug, action)


def test_an_unknown_slug_is_404(admin_user):
    with pytest.raises(Http404):
        get_project_for_user(admin_user, "no-such-project")


@pytest.mark.parametrize(
    ("persona", "action"),
    [
        (p, a)
        for p in EXPECTED
        if p != "outsider"
        for a in Action
        if a not in EXPECTED[p]
    ],
)
def test_members_and_readers_without_the_right_get_403(
    request, project, persona, action
):
    user = _fresh(request.getfixturevalue(persona))
    with pytest.raises(PermissionDenied):
        get_project_for_user(user, project.slug, action)


@pytest.mark.parametrize(
    ("persona", "action"),
    [(p, a) for p in EXPECTED for a in EXPECTED[p]],
)
def test_get_project_for_user_returns_the_project_when_allowed(
    request, project, persona, action
):
    user = _fresh(request.getfixturevalue(persona))
    loaded = get_project_for_user(user, project.slug, action)
    assert loaded == project
    assert loaded.team == project.team


# visible_projects


@pytest.fixture
def three_projects(project):
    archived = ProjectFactory(name="Old Bot", archived_at=timezone.now())
    return [project, ProjectFactory(name="Claims Bot"), archived]


def test_members_see_only_their_projects(three_projects, owner):
    mine, other, _ = three_projects
    MembershipFactory(project=other)  # someone else's project
    assert list(visible_projects(owner)) == [mine]


def test_a_member_of_several_projects_sees_each_once(three_projects):
    mine, other, archived = three_projects
    user = UserFactory()
    for p in (mine, other):
        MembershipFactory(project=p, user=user)
    MembershipFactory(project=mine)  # a second member must not duplicate the row
    assert sorted(p.pk for p in visible_projects(user)) == sorted([mine.pk, other.pk])


@pytest.mark.parametrize("persona", ["executive", "admin_user"])
def test_executives_and_admins_see_every_project(request, three_projects, persona):
    user = request.getfixturevalue(persona)
    assert set(visible_projects(user)) == set(three_projects)
    listed = list(project_list_for_user(user))
    assert [p.name for p in listed] == [
        "Claims Bot",
        "Support Copilot",
    ]  # no archived ones


def test_outsiders_see_nothing(three_projects, outsider):
    assert list(visible_projects(outsider)) == []
    assert list(project_list_for_user(outsider)) == []


def test_project_list_for_user_filters_by_name(three_projects, executive):
    assert [p.name for p in project_list_for_user(executive, query="claims")] == [
        "Claims Bot"
    ]


def _twenty_projects_for(user_or_none, n):
    for _ in range(n):
        p = ProjectFactory()
        MembershipFactory(project=p, role=ProjectRole.OWNER)
        MembershipFactory(project=p, role=ProjectRole.LEAD)
        if user_or_none is not None:
            MembershipFactory(project=p, user=user_or_none, role=ProjectRole.VIEWER)


@pytest.mark.parametrize("n", [1, 20])
@pytest.mark.parametrize("global_role", [None, GlobalRole.EXECUTIVE])
def test_the_project_list_takes_the_same_queries_for_1_or_20_projects(
    db, django_assert_num_queries, n, global_role
):
    user = UserFactory(roles=[global_role] if global_role else [])
    _twenty_projects_for(None if global_role else user, n)
    user = _fresh(user)

    # roles; visible projects; listed projects with their teams; memberships with users
    with django_assert_num_queries(4):
        visible = list(visible_projects(user))
        rows = list(project_list_for_user(user))
        for p in rows:
            _ = p.team.name
            _ = [(m.role, m.user.display_name) for m in p.memberships.all()]
    assert len(rows) == n
    assert len(visible) == n
