"""Column and row helpers shared by the models."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, MetaData, update
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import set_committed_value

# Named constraints make Alembic migrations reviewable and reversible on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The plain SQLAlchemy base of every model.

    Flask-SQLAlchemy is handed this class (`SQLAlchemy(model_class=Base)`), so the web app
    and `flask db` see the same metadata, while the core and its tests import the models
    without loading Flask.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# 64-bit keys on PostgreSQL; SQLite only autoincrements a column typed INTEGER.
IdType = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """Timezone-aware now; passed as a callable so each row gets its own time."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """The moment in UTC, however the driver handed it back.

    SQLite returns naive datetimes: the UTC they were stored as. PostgreSQL returns
    timestamptz in the connection's TimeZone setting, which need not be UTC.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def update_if(session: Session, row: Any, condition: ColumnElement[bool], **values: Any) -> bool:
    """`UPDATE … SET values WHERE id = row.id AND condition`; True when this request won.

    For a check that a concurrent request could pass at the same moment (a one-time code,
    a lock end set once): checking the loaded row in Python and then writing lets both
    through, while the UPDATE's WHERE lets exactly one match. The winner's loaded row
    shows the new values without a reload.
    """
    model = type(row)
    matched = session.execute(
        update(model)
        .where(model.id == row.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if matched != 1:
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True
