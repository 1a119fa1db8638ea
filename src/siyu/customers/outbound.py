"""Personalising outbound text: every message a fan receives may carry their own fan link.

Outreach, playbooks and the bot write texts with placeholders and call :func:`personalise`
just before a message is planned for a channel::

    texts = personalise(session, workspace_id, fan_ids, "{name}，积分到账：{fan_link}", actor)

``{name}`` is the fan's display name (empty when unknown); ``{fan_link}`` is a signed personal
link to the fan pages, issued for this message (one audit entry for the whole batch, not one
per fan). ``{{`` and ``}}`` write literal braces. :func:`placeholder_problems` says what is
wrong with a text before it is saved; a fan who can't receive a link (merged, erased) gets no
text at all, so nothing goes out with a broken link.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.fan_links import DEFAULT_TTL_SECONDS, issue_fan_links
from siyu.customers.models import Customer
from siyu.workspace.audit import Actor

PLACEHOLDERS = ("name", "fan_link")


def placeholder_problems(text: str) -> list[str]:
    """Every reason ``text`` can't be filled; empty when it can."""
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError as error:
        return [f"the braces do not balance ({error}); write {{{{ and }}}} for literal braces"]
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    problems = []
    for name, spec, conversion in fields:
        # Also refuses {} and {0} and attribute access such as {name.__class__}.
        if name not in PLACEHOLDERS:
            problems.append(f"unknown placeholder {{{name}}}; use {allowed}")
        elif spec or conversion:
            problems.append(f"{{{name}}} takes no format or conversion")
    return problems


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """Fill a checked text; a missing value renders as nothing."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(text):
        parts.append(literal)
        if name is not None:
            parts.append(values.get(name) or "")
    return "".join(parts)


def personalise(
    session: Session,
    workspace_id: int,
    customer_ids: list[int],
    text: str,
    actor: Actor,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> dict[int, str]:
    """customer id → the text filled for that fan. Links are issued only when the text asks
    for one. Raises ``ValueError`` for a text :func:`placeholder_problems` refuses."""
    problems = placeholder_problems(text)
    if problems:
        raise ValueError("; ".join(problems))
    rows = session.execute(
        select(Customer.id, Customer.display_name).where(
            Customer.workspace_id == workspace_id,
            Customer.id.in_(customer_ids),
            Customer.merged_into_id.is_(None),
            Customer.erased_at.is_(None),
        )
    )
    names: dict[int, str | None] = {customer_id: name for customer_id, name in rows}
    links: dict[int, str] = {}
    if "fan_link" in {name for _, name, _, _ in string.Formatter().parse(text)}:
        issued = issue_fan_links(
            session, workspace_id, list(names), actor, ttl_seconds=ttl_seconds, purpose="message"
        )
        links = {customer_id: link.url for customer_id, link in issued.links.items()}
    return {
        customer_id: fill(text, {"name": names[customer_id], "fan_link": links.get(customer_id)})
        for customer_id in customer_ids
        if customer_id in names
    }
