"""Guardrails: Dutch PII and health-data detection, role policy, input/retrieval/output rails."""
