"""Workspaces, operators, roles, console sessions, API tokens and the audit log."""
