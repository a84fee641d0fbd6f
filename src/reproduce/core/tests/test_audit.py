import itertools

import pytest
from django.core.management import CommandError, call_command

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


def _append(n):
    for i in range(n):
        audit.record(
            actor=Actor(),
            action="test.event",
            object_type="thing",
            object_id=str(i),
            changes={"i": i, "name": f"é{i}"},
        )


def test_chain_verifies_and_links_each_entry():
    _append(5)
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == audit.GENESIS
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(events))
    assert audit.verify().ok


def test_events_cannot_be_changed_or_deleted_through_the_model():
    _append(1)
    event = AuditEvent.objects.get()
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_verify_names_the_first_tampered_entry(capsys):
    _append(6)
    # Tamper below the model (as someone with database access would).
    AuditEvent.objects.filter(sequence=4).update(changes={"i": 999})
    result = audit.verify()
    assert not result.ok and result.first_broken == 4
    with pytest.raises(CommandError, match="#4"):
        call_command("audit", "verify")


def test_verify_finds_a_removed_entry():
    _append(5)
    AuditEvent.objects.filter(sequence=3).delete()  # queryset delete bypasses the model guard
    result = audit.verify()
    assert not result.ok and result.first_broken == 3


def test_verify_finds_a_truncated_tail():
    _append(4)
    AuditEvent.objects.filter(sequence=4).delete()
    result = audit.verify()
    assert not result.ok and result.first_broken == 4


def test_command_reports_success(capsys):
    _append(3)
    call_command("audit", "verify")
    assert "3 entries verified" in capsys.readouterr().out


def test_services_write_audit_events(network):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"site.created", "machine.created", "sharing.set", "site.opening_hours_set"} <= actions
