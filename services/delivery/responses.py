"""What delivery's HTTP routes answer, as models, so its OpenAPI document describes each body
(the receipt callback's 202 is ``shared.publishing.Accepted``; the export is CSV)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.delivery.domain.status import Status


class Communication(BaseModel):
    """One message of the communications log."""

    message_id: str
    campaign_id: str
    customer_id: str
    message: str = Field(description="the rendered text")
    subject: str | None = Field(description="an email's subject, rendered; None for sms")
    status: Status
    reason: str | None = Field(description="why it failed or was skipped or cancelled")
    sent_to_vendor_at: str | None
    created_at: str
    updated_at: str


class CommunicationList(BaseModel):
    items: list[Communication]
    next_cursor: str | None
