"""incoming.task_branches: the inbox's disjoint parts (the user's own tasks, their unit's for a unit head),
which the dashboard's cards read one by one from their indexes; together they are the inbox exactly."""

from datetime import timedelta

from docflow.core.timeutil import today
from docflow.extensions import db
from docflow.incoming import services
from tests.stats.office_figures import assign, register


def test_the_parts_are_the_inbox(users, make_user):
    head = make_user("unit_head", unit="KT")
    colleague = make_user("specialist", unit="KT")
    day = today()
    dues = [day - timedelta(days=4), None, day, day + timedelta(days=9), day - timedelta(days=1), None]
    for i, due in enumerate(dues):
        doc = register(users, day - timedelta(days=20), f"{i + 1}/NH", f"Việc {i}")
        assign(users, doc, due, unit_id=head.unit_id) if i % 2 else assign(users, doc, due, user=head)
    secret = register(users, day - timedelta(days=20), "9/NH", "Việc mật")
    assign(users, secret, day - timedelta(days=2), unit_id=head.unit_id)
    secret.confidentiality = "secret"  # classified since: above the head's clearance, in no list of theirs
    theirs = register(users, day - timedelta(days=20), "10/NH", "Việc của chuyên viên")
    assign(users, theirs, day - timedelta(days=2), user=colleague)  # the colleague's own: not the head's
    db.session.flush()

    for user in (head, colleague):
        branches = services.task_branches(user)
        assert len(branches) == (2 if user is head else 1)
        for state in ("open", "overdue", "due_soon", "done"):
            whole = [a.id for a in db.session.scalars(services.tasks(user, state))]
            parts = [[a.id for a in db.session.scalars(services.tasks(user, state).where(b))] for b in branches]
            assert sorted(sum(parts, [])) == sorted(whole)
            assert len(set(sum(parts, []))) == len(sum(parts, []))  # disjoint

    opened = db.session.scalars(services.tasks(head, "open")).all()
    assert len(opened) == len(dues)  # the secret one is not visible to the head
    assert [a.due_date for a in opened] == sorted([d for d in dues if d]) + [None, None]  # none last
    assert [a.id for a in db.session.scalars(services.tasks(colleague, "open"))] == \
        [a.id for a in services.assignments_of(theirs)]
