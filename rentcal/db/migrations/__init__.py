"""rentcal's Alembic environment: the schema's revisions, shipped in the package.

``versions/`` holds one module per schema change, oldest first
(``0001_baseline`` is the schema of rentcal 0.1). Nothing here is imported on
the hot path: :mod:`rentcal.db.schema` compares the stored revision with its
``HEAD`` constant and loads :mod:`rentcal.db.migrations.runner` (and Alembic)
only when a database needs an upgrade, or for ``rentcal db upgrade --sql``.
No ``alembic.ini`` is needed at run time; see docs/design.md for writing a
new revision.
"""
