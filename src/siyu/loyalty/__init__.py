"""Points (积分): the ledger, order conversions, tiers, the points mall and operator gifts."""
