import pytest
from projects import services, activity
from projects.audit import acting_as
from projects.models import Framework, Membership
from tests.projects.conftest import people  # noqa

@pytest.mark.django_db
def test_probe(people):
    p = people["project"]
    with acting_as(people["owner"]):
        services.project_update(project=p, name="New name", summary=p.summary, team=p.team, use_case=p.use_case,
            prototype_origin=p.prototype_origin, data_classification=p.data_classification,
            frameworks=Framework.objects.filter(code__in=["pci_dss"]), status=p.status, target_launch_date=None, operating_owner=None)
        services.project_archive(project=p)
        services.membership_remove(membership=Membership.objects.get(project=p, user=people["viewer"]))
    for e in activity.project_activity(p):
        print(e.who, "|", e.text, "|", e.step)
    for r in p.history.all():
        print(r.history_type, r.history_date, r.name, list(r.frameworks.values_list("framework_id", flat=True)))
    assert 0
