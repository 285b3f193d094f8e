"""Every API operation is in some app's access matrix, and every matrix row is a real operation.

Each app declares the operations it serves in ``tests/test_api_access_matrix.py`` (API_MATRIX,
built with clientela.testing.access); a new endpoint without a row fails here.
"""

from __future__ import annotations

from clientela.testing.access import api_operations, collected_matrices


def test_it_covers_every_api_operation_in_an_access_matrix() -> None:
    operations = api_operations()
    covered = collected_matrices("test_api_access_matrix", "API_MATRIX")
    missing = sorted(operations - set(covered))
    stale = sorted(set(covered) - operations)
    assert not missing, f"add these API operations to an app's API_MATRIX: {missing}"
    assert not stale, f"these API_MATRIX rows match no operation: {stale}"
