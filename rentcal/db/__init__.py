"""Persistence: tables, statements, typed rows, one engine module per dialect, the Store.

Nothing is imported here, so a front end may import one light module (say
:mod:`rentcal.db.urls` to hide a password) without loading the rest.
"""
