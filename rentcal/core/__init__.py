"""Pure domain rules: no SQL, no I/O, no clock.

Everything here takes plain values (dates, Decimals, enums) and returns plain
values, so it can be tested exhaustively and reused by the store, the service,
the feeds and the CLI alike. Importing it must not load sqlmodel/sqlalchemy.
"""
