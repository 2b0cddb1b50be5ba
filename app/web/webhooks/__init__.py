"""Webhook receivers: each verifies the caller, hands the work to a job and answers at once."""
