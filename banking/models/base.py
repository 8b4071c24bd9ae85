"""Column helpers shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer

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
