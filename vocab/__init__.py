"""Vocabularies every layer shares, defined once (the bottom layer: imports nothing of the project).

* :data:`ROLES`: the four fixed role ids (ARCHITECTURE.md). A role is bound to the login. What a
  role may do is policy (``guardrails/policies/roles.yaml`` and ``rules.yaml``, checked against
  these ids when the policy loads).
* :data:`SCRIPT_ROLES`, :data:`PRACTICE_ROLES`: who the intake-call scripts are for, and who may
  see all of them read-only ("Oefenmodus").

Other vocabularies live in the lowest layer that needs them: the refusal categories in
``guardrails.types`` (``Category``, ``CATEGORIES``), the health vocabulary in
``guardrails/lexicon/health_nl.yaml`` (read through ``guardrails.health``).
"""

from __future__ import annotations

from typing import Literal

ROLES: tuple[str, ...] = ("casemanager", "employer", "trainer", "reviewer")
#: Roles whose own work the intake-call scripts are for.
SCRIPT_ROLES: tuple[str, ...] = ("casemanager", "employer")
#: Roles that may see every script read-only, marked "Oefenmodus".
PRACTICE_ROLES: tuple[str, ...] = ("trainer",)

#: The roles as users read them (the UI, the reviewer's export, the trainer's report).
ROLE_NL = {"casemanager": "casemanager", "employer": "werkgever", "trainer": "trainer", "reviewer": "reviewer"}

#: ``Literal`` types for pydantic models, built from the tuples above.
Role = Literal[ROLES]  # type: ignore[valid-type]
ScriptRole = Literal[SCRIPT_ROLES]  # type: ignore[valid-type]
