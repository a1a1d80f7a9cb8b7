"""Core statements run straight on the session's DBAPI cursor, for the office's most frequent write.

A registration runs about a dozen small statements. Through `Session.execute` each one pays for the
ORM's execution path, the connection's execution context, the compiled-cache look-up and the result
object, together several times what the database spends on it (bench/README.md, "Registration").
`Direct` compiles its statement once per dialect and, on each call, only fills in the parameters
(through SQLAlchemy's own bind processors: dates, JSON, booleans are stored exactly as the ORM stores
them) and executes on the cursor of the connection the session's transaction already holds. So:

- it runs in the caller's transaction (the session's connection; on SQLite the transaction begins as
  any other, BEGIN IMMEDIATE for a writer), and a rollback takes it back like any other statement;
- a database error is raised as SQLAlchemy's (`sqlalchemy.exc.IntegrityError`, ...), as before;
- the session's identity map is not touched (as with any Core statement): the caller expires what it
  changed behind the ORM's back, as it already did;
- `before_cursor_execute` listeners do not see these statements.

Only for plain Core statements with named bind parameters (no "expanding" IN lists, no ORM entities).
"""

import sqlalchemy as sa
import sqlalchemy.orm

from docflow.extensions import db


def _connection() -> sa.Connection:
    """The connection of the session's transaction (beginning one if none is open), remembered with the
    transaction it belongs to: `Session.connection()` costs as much as a small statement."""
    session = db.session()
    transaction = session.get_transaction()
    if transaction is not None:
        known = session.info.get("direct_connection")
        if known is not None and known[0] is transaction:
            return known[1]
    connection = session.connection()
    session.info["direct_connection"] = (session.get_transaction(), connection)
    return connection


def loaded(model, values: dict):
    """The session's instance of the row whose attribute values (by mapped key) are `values`, or a new one
    put in the session as loaded from them, as the ORM's own loading would (no SQL, nothing to flush).
    Attributes not in `values` load on first access."""
    session = db.session()
    mapper = sa.inspect(model)
    key = session.identity_key(model, tuple(values[mapper.get_property_by_column(c).key]
                                            for c in mapper.primary_key))
    found = session.identity_map.get(key)
    if found is not None:
        return found
    obj = mapper.class_manager.new_instance()
    for name, value in values.items():
        sa.orm.attributes.set_committed_value(obj, name, value)
    sa.orm.make_transient_to_detached(obj)
    session.add(obj)
    return obj


def column_keys(model) -> list[str]:
    """The mapped attribute keys of the model's table columns, in the table's order."""
    mapper = sa.inspect(model)
    return [mapper.get_property_by_column(c).key for c in model.__table__.columns]


class Direct:
    __slots__ = ("statement", "_by_dialect")

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: dict = {}

    def _compiled(self, dialect, keys):
        """Compiled for the dialect and the parameters' names (an INSERT's columns are those given, as
        SQLAlchemy's own execution decides them)."""
        entry = self._by_dialect.get((dialect.name, keys))
        if entry is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
            processors = compiled._bind_processors  # what SQLAlchemy applies to each parameter itself
            names = tuple(compiled.positiontup) if compiled.positional else None
            results = [column.type._cached_result_processor(dialect, None) for column in compiled._result_columns]
            results = tuple(results) if any(results) else None
            entry = self._by_dialect[(dialect.name, keys)] = (compiled, compiled.string, processors, names, results)
        return entry

    def execute(self, values: dict | None = None):
        """Run the statement with `values` in the session's transaction: the DBAPI cursor, to fetch from, and
        the result processors of its columns (None when no column needs one)."""
        connection = _connection()
        dialect = connection.dialect
        values = values or {}
        compiled, sql, processors, names, results = self._compiled(dialect, tuple(values))
        params = self._parameters(compiled, processors, names, values)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, params)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise sa.exc.DBAPIError.instance(sql, params, error, dialect.loaded_dbapi.Error,
                                             dialect=dialect) from error
        return cursor, results

    @staticmethod
    def _parameters(compiled, processors, names, values: dict):
        """The DBAPI's parameters for `values`: defaults filled in, each passed through its bind processor,
        in the statement's order when the dialect's parameters are positional."""
        params = compiled.construct_params(values, _check=False)
        for name, process in processors.items():
            if name in params:
                params[name] = process(params[name])
        return params if names is None else tuple(params[name] for name in names)

    @staticmethod
    def _fetched(rows, results):
        """Rows with SQLAlchemy's result processors applied (SQLite's dates and booleans, ...)."""
        if results is None:
            return rows
        return [tuple(value if process is None or value is None else process(value)
                      for value, process in zip(row, results, strict=True)) for row in rows]

    def scalar(self, values: dict | None = None):
        """The first column of the first row (None without a row)."""
        row = self.one(values)
        return None if row is None else row[0]

    def one(self, values: dict | None = None) -> tuple | None:
        """The first row as a tuple (None without a row)."""
        cursor, results = self.execute(values)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else self._fetched([row], results)[0]

    def all(self, values: dict | None = None) -> list[tuple]:
        cursor, results = self.execute(values)
        try:
            return self._fetched(cursor.fetchall(), results)
        finally:
            cursor.close()

    def instances(self, model, values: dict | None = None) -> list:
        """For a statement selecting `model.__table__.columns` (in order): the rows as the session's
        instances (`loaded`)."""
        keys = column_keys(model)
        return [loaded(model, dict(zip(keys, row, strict=True))) for row in self.all(values)]

    def many(self, rows: list[dict]) -> None:
        """Execute once per row (the DBAPI's executemany), for its effect."""
        connection = _connection()
        dialect = connection.dialect
        compiled, sql, processors, names, _results = self._compiled(dialect, tuple(rows[0]) if rows else ())
        batch = [self._parameters(compiled, processors, names, values) for values in rows]
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(sql, batch)
        except dialect.loaded_dbapi.Error as error:
            raise sa.exc.DBAPIError.instance(sql, batch, error, dialect.loaded_dbapi.Error,
                                             dialect=dialect) from error
        finally:
            cursor.close()

    def run(self, values: dict | None = None) -> None:
        """Execute for its effect."""
        self.execute(values)[0].close()
