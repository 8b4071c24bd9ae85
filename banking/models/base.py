"""Column helpers shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer

# 64-bit keys on PostgreSQL; SQLite only autoincrements a column typed INTEGER.
IdType = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """Timezone-aware now; passed as a callable so each row gets its own time."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; treat them as the UTC they were stored as."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
