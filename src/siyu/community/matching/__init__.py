"""The keyword bot's matching engine: normalisation, rules, the shared automaton, decisions and
moderation checks. Pure functions over plain data: the store, API and console plug in around it.
"""

from siyu.community.matching.automaton import Matcher, build_matcher
from siyu.community.matching.engine import (
    Candidate,
    Decision,
    Evaluation,
    IncomingMessage,
    MatchContext,
    decide,
    evaluate,
    test_text,
)
from siyu.community.matching.normalise import normalise
from siyu.community.matching.rules import (
    InvalidRule,
    Rule,
    RuleProblem,
    Scope,
    render_template,
    validate_rule,
)

__all__ = [
    "Candidate",
    "Decision",
    "Evaluation",
    "IncomingMessage",
    "InvalidRule",
    "MatchContext",
    "Matcher",
    "Rule",
    "RuleProblem",
    "Scope",
    "build_matcher",
    "decide",
    "evaluate",
    "normalise",
    "render_template",
    "test_text",
    "validate_rule",
]
