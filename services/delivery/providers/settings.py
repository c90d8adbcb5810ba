"""Settings of the real channel providers (all off by default: the simulator sends SMS).

Each provider is used only when its credentials are set; a webhook route of a provider that
is not configured answers 404, so an unconfigured deployment accepts no forged statuses.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from services.delivery.domain.quiet_hours import Window
from shared.settings import ConfigurationError, ServiceSettings, require_secret


class ProviderSettings(ServiceSettings):
    # Which provider sends SMS: the vendor simulator (the demo and the tests) or Twilio. (The
    # DLT gateway's client exists, providers/dlt_sms.py, but its delivery reports carry only
    # the gateway's ids, which are not stored yet: it cannot be chosen until they are.)
    sms_provider: Literal["simulator", "twilio"] = "simulator"
    provider_timeout_s: Annotated[float, Field(gt=0)] = 10.0

    # WhatsApp Cloud API (Meta). The app secret signs status webhooks (X-Hub-Signature-256);
    # the verify token answers the subscription handshake.
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_phone_number_id: str = ""
    whatsapp_access_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    # Messages per second from the one number (Cloud API's default throughput is 80).
    whatsapp_rate_limit: Annotated[float, Field(ge=0)] = 80.0

    # Twilio: the sender is a number (+1...), an alphanumeric id, or a Messaging Service
    # (MG...). The auth token signs status callbacks (X-Twilio-Signature).
    twilio_api_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_sender: str = ""

    # Quiet hours (issue 26): promotional messages through a real SMS or WhatsApp provider
    # go out only inside this daily window, in this zone (TRAI's rule for promotional SMS
    # in India: 10:00-21:00), and wait outside it, never dropped. There is no per-customer
    # time zone yet: the zone applies to everyone. The vendor simulator (the demo and the
    # tests) is exempt unless BEACON_QUIET_HOURS_SIMULATOR is true; an empty window turns
    # quiet hours off.
    quiet_hours: str = "10:00-21:00"
    quiet_hours_zone: str = "Asia/Kolkata"
    quiet_hours_simulator: bool = False

    @field_validator("quiet_hours_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        Window.parse("10:00-21:00", value)  # raises naming the zone when unknown
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str) -> str:
        if value.strip():
            Window.parse(value, "UTC")  # raises naming the window when malformed
        return value.strip()

    def quiet_window(self) -> Window | None:
        return Window.parse(self.quiet_hours, self.quiet_hours_zone) if self.quiet_hours else None

    @property
    def whatsapp_configured(self) -> bool:
        return bool(self.whatsapp_phone_number_id and self.whatsapp_access_token)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_sender)


def check_providers(settings: ProviderSettings) -> None:
    """Refuse to start with a provider chosen but not configured, and (production) with a
    webhook secret shorter than 32 bytes for a provider that is configured."""
    if settings.sms_provider == "twilio" and not settings.twilio_configured:
        raise ConfigurationError(
            "BEACON_SMS_PROVIDER=twilio needs BEACON_TWILIO_ACCOUNT_SID, "
            "BEACON_TWILIO_AUTH_TOKEN and BEACON_TWILIO_SENDER"
        )
    secrets = {
        "BEACON_WHATSAPP_APP_SECRET": settings.whatsapp_app_secret,
        "BEACON_WHATSAPP_VERIFY_TOKEN": settings.whatsapp_verify_token,
        "BEACON_TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
    }
    for name, value in secrets.items():
        if value:  # only the providers in use
            require_secret(settings, name, value)
