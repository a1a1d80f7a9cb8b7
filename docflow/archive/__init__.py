"""The archive (issue 7/9, domain.md §4): the retention table, the year's file plan, dossiers and the
documents filed in them, transfer to the agency archive, keep-backs, loans and disposition."""
