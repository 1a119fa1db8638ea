"""Roles of operators and scopes of API tokens: what the other domains may ask about access
without reaching into the workspace domain's tables."""

from __future__ import annotations

import enum

from siyu.kit.i18n import N_


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    operator = "operator"
    analyst = "analyst"


ROLE_LABELS = {
    Role.owner: N_("Owner"),
    Role.admin: N_("Admin"),
    Role.operator: N_("Operator"),
    Role.analyst: N_("Analyst"),
}

# What each role may do, from most to least: a role includes every right of those below it,
# except that analysts read analytics but do not act on fans.
ROLE_RANK = {Role.owner: 40, Role.admin: 30, Role.operator: 20, Role.analyst: 10}


class Scope(enum.StrEnum):
    """What an API token may do. Each operation needs one scope (``workspace.auth``)."""

    read = "read"  # GET
    write = "write"  # every other method
    pii = "pii"  # reveal, export or erase personal data
    admin = "admin"  # tokens, operators, settings


DEFAULT_SCOPES = (Scope.read, Scope.write)
SCOPE_LABELS = {
    Scope.read: N_("Read"),
    Scope.write: N_("Write"),
    Scope.pii: N_("Personal data (reveal, export, erase)"),
    Scope.admin: N_("Administration (tokens, operators, settings)"),
}
