"""Outreach: broadcasts, SOP playbooks, the content check, the quota ledger and lift."""
