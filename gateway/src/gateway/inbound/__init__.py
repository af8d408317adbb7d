"""Inbound webhooks: partner associations push signed messages (Standard Webhooks), stored before 202.

`signatures` verifies, `sources` knows who may push and with which secrets, `kinds` what may be pushed,
`receiver` stores a verified message once per (source, webhook-id). See docs/adr/005-inbound-webhooks.md.
"""
