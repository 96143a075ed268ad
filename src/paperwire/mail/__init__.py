"""Outgoing mail: a durable outbox that every mail of the site goes through, and where
mail goes when no SMTP server is configured (.eml files in the data directory)."""
