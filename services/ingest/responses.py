"""What ingest's customer and order routes answer, as models, so its OpenAPI document
describes each body (the imports' models are in ``imports_api``; the writes' 202 is
``shared.publishing.Accepted``, documented, not validated: those routes are hot)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.ingest.domain.models import OrderStatus


class CustomerOut(BaseModel):
    """An active customer (times in UTC; consent per channel: None when never said)."""

    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    city: str | None
    accepts_email_marketing: bool | None
    accepts_email_marketing_at: str | None
    accepts_email_marketing_source: str | None
    accepts_sms_marketing: bool | None
    accepts_sms_marketing_at: str | None
    accepts_sms_marketing_source: str | None
    accepts_whatsapp_marketing: bool | None
    accepts_whatsapp_marketing_at: str | None
    accepts_whatsapp_marketing_source: str | None
    created_at: str = Field(description="as the shop said, else when Beacon first saw them")
    updated_at: str


class CustomerDetail(CustomerOut):
    """A customer with the ids merged into it (one person per email)."""

    aliases: list[str]


class CustomerList(BaseModel):
    items: list[CustomerOut]
    next_cursor: str | None


class LineItemOut(BaseModel):
    name: str
    sku: str | None = None
    quantity: int = 1
    price: str | float | None = None


class OrderOut(BaseModel):
    """An order (money as a decimal string in INR, times in UTC)."""

    order_id: str
    customer_id: str = Field(description="the person's id (aliases resolved)")
    customer_email: str | None
    amount: str
    status: OrderStatus
    refunded_amount: str
    currency: str | None
    line_items: list[LineItemOut] | None
    ordered_at: str
    updated_at: str | None = Field(description="the shop's updated_at, when it said")
    recorded_at: str
    version: int


class OrderList(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class Erasing(BaseModel):
    """An erasure accepted: every service removes the person's data."""

    customer_id: str
    erasing: bool
    event_id: str
