"""The console's navigation: every module, including those still to come (shown disabled)."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.kit.i18n import N_


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    icon: str
    href: str | None  # None: the module is not available yet
    admin_only: bool = False


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("home", N_("Overview"), "◎", "/"),
    NavItem("customers", N_("Fans"), "☺", "/customers"),
    NavItem("orders", N_("Orders"), "▤", "/orders"),
    NavItem("analytics", N_("Segments & analytics"), "◔", "/analytics"),
    NavItem("loyalty", N_("Points mall"), "★", "/loyalty"),
    NavItem("coupons", N_("Coupons"), "✂", "/coupons"),
    NavItem("community", N_("Fan groups"), "◉", "/community"),
    NavItem("live", N_("Live campaigns"), "▶", "/lives"),
    NavItem("referral", N_("Fission & distribution"), "⇄", "/referral"),
    NavItem("engagement", N_("Check-in camps"), "✓", "/camps"),
    NavItem("outreach", N_("Outreach"), "✉", "/outreach"),
    NavItem("content", N_("Public channels"), "▣", "/content"),
    NavItem("wecom", N_("WeCom"), "✆", "/wecom/live-codes"),
)

SETTINGS_NAV: tuple[NavItem, ...] = (
    NavItem("operators", N_("Operators"), "☰", "/settings/operators"),
    NavItem("tokens", N_("API tokens"), "⌘", "/settings/tokens", admin_only=True),
    NavItem("audit", N_("Audit log"), "≣", "/settings/audit", admin_only=True),
    NavItem("jobs", N_("Background jobs"), "↻", "/settings/jobs", admin_only=True),
    NavItem("wecom_settings", N_("WeCom settings"), "✆", "/settings/wecom", admin_only=True),
)
