"""Display names of background jobs (English message ids, translated on display)."""

from __future__ import annotations

from siyu.kit.i18n import N_, gettext

JOB_LABELS = {
    "analytics.refresh": N_("Analytics refresh"),
    "analytics.nightly": N_("Nightly analytics refresh"),
    "community.nightly": N_("Nightly fan group upkeep"),
    "community.health": N_("Group health"),
    "community.admit_waitlists": N_("Admit waiting fans to groups"),
    "points.settle": N_("Credit pending points"),
    "points.nightly": N_("Nightly points expiry and tiers"),
    "coupons.consume": N_("Record coupon grabs"),
    "coupons.reconcile": N_("Reconcile coupon stock"),
    "coupons.refresh_rules": N_("Refresh coupon rules"),
    "coupons.rebuild_stock": N_("Rebuild coupon stock"),
    "coupons.match_redemptions": N_("Match coupon use to orders"),
    "outreach.send_broadcast": N_("Send a broadcast"),
    "outreach.follow_up": N_("Follow up broadcasts"),
    "outreach.playbooks": N_("Run playbooks"),
    "referral.settle": N_("Pay referral rewards"),
    "system.housekeeping": N_("Housekeeping"),
}


def job_label(name: str) -> str:
    return gettext(JOB_LABELS.get(name, N_("Other job")))
