"""Delivery: the outbox sender (messages to people, paced and retried), e-mail, and
splitting long texts for a messenger."""
