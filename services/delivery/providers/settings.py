"""Settings of the real channel providers (all off by default: the simulator sends SMS).

Each provider is used only when its credentials are set; a webhook route of a provider that
is not configured answers 404, so an unconfigured deployment accepts no forged statuses.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.settings import ConfigurationError, ServiceSettings, require_secret


class ProviderSettings(ServiceSettings):
    # Which provider sends SMS: the vendor simulator (the demo and the tests), Twilio, or a
    # DLT-registered Indian gateway (Gupshup Enterprise style).
    sms_provider: Literal["simulator", "twilio", "dlt"] = "simulator"
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

    # A DLT gateway: the registered entity id and header; delivery reports come to
    # /api/v1/webhooks/dlt/{BEACON_DLT_WEBHOOK_TOKEN}.
    dlt_api_url: str = "https://enterprise.smsgupshup.com/GatewayAPI/rest"
    dlt_user_id: str = ""
    dlt_password: str = ""
    dlt_entity_id: str = ""
    dlt_header: str = ""
    dlt_webhook_token: str = ""

    @property
    def whatsapp_configured(self) -> bool:
        return bool(self.whatsapp_phone_number_id and self.whatsapp_access_token)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_sender)

    @property
    def dlt_configured(self) -> bool:
        return bool(self.dlt_user_id and self.dlt_password and self.dlt_entity_id)


def check_providers(settings: ProviderSettings) -> None:
    """Refuse to start with a provider chosen but not configured, and (production) with a
    webhook secret shorter than 32 bytes for a provider that is configured."""
    if settings.sms_provider == "twilio" and not settings.twilio_configured:
        raise ConfigurationError(
            "BEACON_SMS_PROVIDER=twilio needs BEACON_TWILIO_ACCOUNT_SID, "
            "BEACON_TWILIO_AUTH_TOKEN and BEACON_TWILIO_SENDER"
        )
    if settings.sms_provider == "dlt" and not (
        settings.dlt_configured and settings.dlt_header and settings.dlt_webhook_token
    ):
        raise ConfigurationError(
            "BEACON_SMS_PROVIDER=dlt needs BEACON_DLT_USER_ID, BEACON_DLT_PASSWORD, "
            "BEACON_DLT_ENTITY_ID, BEACON_DLT_HEADER and BEACON_DLT_WEBHOOK_TOKEN"
        )
    secrets = {
        "BEACON_WHATSAPP_APP_SECRET": settings.whatsapp_app_secret,
        "BEACON_WHATSAPP_VERIFY_TOKEN": settings.whatsapp_verify_token,
        "BEACON_TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "BEACON_DLT_WEBHOOK_TOKEN": settings.dlt_webhook_token,
    }
    for name, value in secrets.items():
        if value:  # only the providers in use
            require_secret(settings, name, value)
