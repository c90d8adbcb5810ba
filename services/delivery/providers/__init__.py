"""Real channel providers (WhatsApp Cloud API, Twilio, a DLT SMS gateway) behind one
shape of answer (base.py); the vendor simulator stays the default SMS channel."""
