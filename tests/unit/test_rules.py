"""The domain rules (kustomi/rules.py), which grant, verify, doctor and setup share."""

from __future__ import annotations

import pytest

from kustomi import rules


@pytest.mark.parametrize(
    ("held", "wanted", "ok"),
    [
        ({"Viewer"}, "Viewer", True),
        ({"UnrestrictedViewer"}, "Viewer", True),  # doctor once said otherwise
        ({"User"}, "Viewer", True),
        ({"Admin"}, "Ingestor", True),
        ({"Ingestor"}, "Viewer", False),
        ({"Viewer"}, "Ingestor", False),
        ({"Monitor"}, "Viewer", False),
        ({"Viewer"}, "Monitor", True),
        ({"AllDatabasesAdmin"}, "Ingestor", True),
        (set(), None, False),
        ({"Ingestor"}, None, False),
    ],
)
def test_which_roles_satisfy_which(held, wanted, ok):
    assert rules.satisfied(held, wanted) is ok


def test_each_direction_needs_the_role_of_the_extension_docs():
    assert rules.NEEDED_ROLE == {"in": "Viewer", "out": "Ingestor"}
    assert "UnrestrictedViewer" in rules.needs("in") and "Ingestor" not in rules.needs("in")
    assert rules.needs("out") == {"Ingestor", "Admin"}


@pytest.mark.parametrize(
    ("rid", "rg"),
    [
        ("/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Web/sites/f", "rg-a"),
        ("/subscriptions/s/resourcegroups/RG-B/providers/x/y/z", "RG-B"),
        ("/subscriptions/s/providers/Microsoft.Kusto/clusters/c", ""),
        ("/subscriptions/s/resourceGroups", ""),
        ("", ""),
    ],
)
def test_the_resource_group_of_a_resource_id(rid, rg):
    assert rules.resource_group_of(rid) == rg
