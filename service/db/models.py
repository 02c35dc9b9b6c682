"""SQLAlchemy 2 models of the service: companies, listings, keys, rounds, proposals, exchanges, audit."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Double, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID_LENGTH = 100
NAME_LENGTH = 300
SHORT_LENGTH = 50


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A point in time stored as naive UTC (the same on SQLite and PostgreSQL), read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON, float: Double}


class Versioned:
    """A row with an optimistic-concurrency version, raised by one on every update."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Company(Versioned, Base):
    __tablename__ = "companies"

    company_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    nace: Mapped[str] = mapped_column(String(10), index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    municipality: Mapped[str | None] = mapped_column(String(NAME_LENGTH), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    port_access: Mapped[bool | None] = mapped_column(Boolean)
    rail_siding: Mapped[bool | None] = mapped_column(Boolean)
    consent_planner: Mapped[bool] = mapped_column(Boolean, default=False)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Listing(Versioned, Base):
    __tablename__ = "listings"

    listing_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.company_id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    material: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    material_key: Mapped[str] = mapped_column(String(SHORT_LENGTH), index=True)
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    quantity_canonical: Mapped[float]
    canonical_unit: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    available_from: Mapped[date | None] = mapped_column(Date)
    available_to: Mapped[date | None] = mapped_column(Date)
    max_distance_km: Mapped[float | None]
    transport_mode: Mapped[str | None] = mapped_column(String(20))
    min_lot: Mapped[float | None]
    max_partners: Mapped[int | None]
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=False)
    price_eur_per_unit: Mapped[float | None]
    disposal_eur_per_unit: Mapped[float | None]
    source: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": Versioned.version}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[str | None] = mapped_column(ForeignKey("companies.company_id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Round(Versioned, Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(20), index=True)
    scope: Mapped[dict[str, Any]]
    objective: Mapped[str] = mapped_column(String(20))
    solver: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]]
    directives: Mapped[list[Any]]
    runs: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(default=0.0)
    stage: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    unmatched: Mapped[list[Any] | None] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  #: the process running it
    lease_until: Mapped[datetime | None]  #: its claim ends then unless a heartbeat renews it
    heartbeat_at: Mapped[datetime | None]
    #: The run whose proposals were last sent to the companies, and its unmatched listings as they were
    #: then: the companies' to see, whatever later runs of the round do.
    sent_run: Mapped[int | None]
    sent_unmatched: Mapped[list[Any] | None] = mapped_column(JSON)

    __mapper_args__ = {"version_id_col": Versioned.version}


class _FlowColumns:
    """What moves from whom to whom, its indicators and economics (shared by proposals and exchanges)."""

    offer_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    need_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    supplier_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    receiver_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    material: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    need_material: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    quantity_canonical: Mapped[float]
    need_quantity: Mapped[float]
    need_unit: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    need_quantity_canonical: Mapped[float]
    distance_km: Mapped[float]
    transport_mode: Mapped[str] = mapped_column(String(20))
    transport_co2e_t: Mapped[float]
    resource_t: Mapped[float | None]  # None: unknown (no cited factor)
    water_m3: Mapped[float | None]
    co2e_t: Mapped[float | None]
    energy_mwh: Mapped[float | None]
    waste_t: Mapped[float]
    value_eur: Mapped[float | None]  # the net benefit; None: unknown (no price)
    receiver_saving_eur: Mapped[float | None]
    supplier_saving_eur: Mapped[float | None]
    treatment_cost_eur: Mapped[float | None]
    transport_cost_eur: Mapped[float | None]
    link_cost_eur: Mapped[float | None]
    fair_price_min_eur: Mapped[float | None]
    fair_price_max_eur: Mapped[float | None]


#: The columns a proposal hands on to the exchange it becomes (those of :class:`_FlowColumns`).
FLOW_COLUMNS: tuple[str, ...] = tuple(_FlowColumns.__annotations__)


class Proposal(_FlowColumns, Versioned, Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    run: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), index=True)
    supplier_decision: Mapped[str | None] = mapped_column(String(10))
    receiver_decision: Mapped[str | None] = mapped_column(String(10))
    rule_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    yield_: Mapped[float] = mapped_column("yield")
    max_distance_km: Mapped[float | None]
    objective_contribution: Mapped[float]
    explanation: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": Versioned.version}

    def column_values(self) -> dict[str, Any]:
        """Every column's value by the column's name (``yield``, the attribute ``yield_``)."""
        return {**{c.key: getattr(self, c.key) for c in Proposal.__table__.columns if c.key != "yield"},
                "yield": self.yield_}


class Exchange(_FlowColumns, Versioned, Base):
    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": Versioned.version}


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_key_id: Mapped[int | None]
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_company_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    action: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    entity: Mapped[str] = mapped_column(String(30), index=True)
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    changes: Mapped[dict[str, Any]]


class ScenarioRun(Base):
    """A planner's what-if scenario as run and saved: its definition and the totals it produced."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    created_by: Mapped[int | None]
    created_role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
