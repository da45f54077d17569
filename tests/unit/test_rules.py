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


@pytest.mark.parametrize(
    ("row", "ids", "ok"),
    [
        ({"PrincipalFQN": "aadapp=AAAA;tenant", "PrincipalObjectId": ""}, ("aaaa", ""), True),
        ({"PrincipalFQN": "aadapp=aaaa@tenant"}, ("AAAA",), True),
        ({"PrincipalFQN": "aadapp=x;t", "PrincipalObjectId": "OBJ"}, ("c", "obj"), True),
        # a client id that is part of another one is not it (matching once took substrings)
        ({"PrincipalFQN": "aadapp=aaaa-b;tenant"}, ("aaaa",), False),
        ({"PrincipalFQN": "aadapp=bbbb;aaaa"}, ("aaaa",), False),  # the tenant is not the app
        ({"PrincipalFQN": "", "PrincipalObjectId": ""}, ("", ""), False),
    ],
)
def test_a_principal_row_is_matched_by_its_ids(row, ids, ok):
    assert rules.row_is_for(row, ids) is ok


def test_roles_of_reads_the_last_word_of_the_role_of_the_matching_rows():
    rows = [
        {"Role": "Database db Viewer", "PrincipalFQN": "aadapp=a;t"},
        {"Role": "Ingestor", "PrincipalObjectId": "o"},
        {"Role": "Admin", "PrincipalFQN": "aadapp=other;t"},
    ]
    assert rules.roles_of(rows, ("a", "o")) == {"Viewer", "Ingestor"}


def test_an_arm_assignment_is_matched_by_principal_id_or_aad_object_id():
    assert rules.assignment_is_for("CLIENT", "obj", ("client", ""))
    assert rules.assignment_is_for("client", "OBJ", ("x", "obj"))
    assert not rules.assignment_is_for("client", "obj", ("x", "y"))
    assert not rules.assignment_is_for("", "", ("", ""))


@pytest.mark.parametrize(
    ("held", "wanted", "ok"),
    [
        ({"AllDatabasesViewer"}, "Viewer", True),
        ({"AllDatabasesViewer"}, "Ingestor", False),
        ({"AllDatabasesMonitor"}, "Monitor", True),
        ({"AllDatabasesMonitor"}, "Viewer", False),
        ({"AllDatabasesAdmin"}, "Admin", True),
    ],
)
def test_a_cluster_wide_role_holds_the_database_role_it_implies(held, wanted, ok):
    assert rules.satisfied(held, wanted) is ok


def test_a_table_ingestor_gives_ingestion_on_its_table_only_not_reading():
    assert rules.table_satisfied({"Ingestor"}, "Ingestor")
    assert rules.table_satisfied({"Admin"}, "Ingestor")
    assert not rules.table_satisfied({"Ingestor"}, "Viewer")
    assert not rules.table_satisfied({"Viewer"}, "Ingestor")


@pytest.mark.parametrize(
    ("held", "wanted", "ok"),
    [
        ({"AllDatabasesViewer"}, "AllDatabasesAdmin", False),
        ({"AllDatabasesViewer"}, "AllDatabasesMonitor", True),
        ({"AllDatabasesMonitor"}, "AllDatabasesViewer", False),
        ({"Admin"}, "AllDatabasesViewer", False),  # a database role holds on one database
        ({"Viewer", "Admin"}, "AllDatabasesMonitor", False),
        ({"AllDatabasesAdmin"}, "AllDatabasesViewer", True),
    ],
)
def test_a_cluster_wide_role_wanted_is_given_by_a_cluster_wide_role_only(held, wanted, ok):
    assert rules.satisfied(held, wanted) is ok
    assert (rules.givers(wanted) & held != set()) is ok
