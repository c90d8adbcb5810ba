"""A local SMTP sink with a page listing what was sent: `make up` points delivery's email
channel at it, so a newcomer can send an email campaign and read the messages."""
