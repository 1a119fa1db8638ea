"""Display names of the audit log's codes (English message ids, translated on display).

Audit actions are written as ``<area>.<verb>``; an action missing here is shown by its area's
name, so a new action never shows a bare code.
"""

from __future__ import annotations

from siyu.kit.i18n import N_, gettext

AUDIT_ACTION_LABELS = {
    "analytics.settings": N_("Changed analytics settings"),
    "auth.login": N_("Signed in"),
    "auth.logout": N_("Signed out"),
    "auth.switch_workspace": N_("Switched workspace"),
    "community.family_create": N_("Created a live-code family"),
    "community.family_update": N_("Changed a live-code family"),
    "community.flag_resolve": N_("Resolved a moderation flag"),
    "community.group_create": N_("Created a fan group"),
    "community.group_update": N_("Changed a fan group"),
    "community.invitations_queue": N_("Queued group invitations"),
    "community.live_code_join": N_("Joined a group through a live code"),
    "community.member_add": N_("Added a group member"),
    "community.member_remove": N_("Removed a group member"),
    "community.member_role": N_("Changed a member's role"),
    "community.rule_create": N_("Created an auto-reply rule"),
    "community.rule_delete": N_("Deleted an auto-reply rule"),
    "community.rule_update": N_("Changed an auto-reply rule"),
    "community.settings": N_("Changed fan group settings"),
    "community.ticket_update": N_("Updated an after-sales ticket"),
    "coupon.campaign_created": N_("Created a coupon campaign"),
    "coupon.campaign_ended": N_("Ended a coupon campaign"),
    "coupon.campaign_started": N_("Started a coupon campaign"),
    "coupon.codes_imported": N_("Imported coupon codes"),
    "coupon.issued": N_("Issued coupons"),
    "coupon.redemption_confirmed": N_("Confirmed a coupon as used"),
    "coupon.template_created": N_("Created a coupon template"),
    "customer.consent": N_("Changed marketing consent"),
    "customer.erase": N_("Erased a fan"),
    "customer.fan_link": N_("Made a fan link"),
    "customer.intimacy_import": N_("Imported fan-club intimacy"),
    "customer.link_identity": N_("Linked a platform account"),
    "customer.merge": N_("Merged fans"),
    "customer.note": N_("Added a note"),
    "customer.pii_read": N_("Read personal data"),
    "customer.split": N_("Split a platform account off"),
    "customer.tag": N_("Tagged a fan"),
    "customer.unmerge": N_("Undid a merge"),
    "customer.untag": N_("Removed a tag"),
    "gift.approve": N_("Decided on a gift"),
    "gift.budget": N_("Set a gift budget"),
    "gift.send": N_("Sent a gift"),
    "job.retry": N_("Retried a job"),
    "mall.cancel": N_("Cancelled a redemption"),
    "mall.deliver": N_("Marked a redemption delivered"),
    "mall.item_create": N_("Added a mall item"),
    "mall.item_update": N_("Changed a mall item"),
    "mall.redeem": N_("Redeemed a mall item"),
    "mall.ship": N_("Shipped a redemption"),
    "operator.add": N_("Added an operator"),
    "orders.batch": N_("Received orders through the API"),
    "orders.import": N_("Imported an order file"),
    "pii.reveal": N_("Revealed personal data"),
    "points.adjust": N_("Adjusted points"),
    "points.auto_convert": N_("Converted orders to points automatically"),
    "points.rule_create": N_("Created an earn rule"),
    "points.rule_update": N_("Changed an earn rule"),
    "points.tier_save": N_("Saved a tier"),
    "segment.create": N_("Created a segment"),
    "segment.delete": N_("Deleted a segment"),
    "segment.export": N_("Exported fans"),
    "segment.update": N_("Changed a segment"),
    "tag.create": N_("Created a tag"),
    "token.create": N_("Created an API token"),
    "token.revoke": N_("Revoked an API token"),
    "workspace.create": N_("Created the workspace"),
    "workspace.locale": N_("Changed the export language"),
}
AUDIT_AREA_LABELS = {
    "analytics": N_("Analytics"),
    "auth": N_("Sign-in"),
    "community": N_("Fan groups"),
    "coupon": N_("Coupons"),
    "customer": N_("Fans"),
    "gift": N_("Gifts"),
    "job": N_("Jobs"),
    "mall": N_("Points mall"),
    "operator": N_("Operators"),
    "orders": N_("Orders"),
    "pii": N_("Personal data"),
    "points": N_("Points"),
    "segment": N_("Segments"),
    "tag": N_("Tags"),
    "token": N_("API tokens"),
    "workspace": N_("Workspace"),
}
ACTOR_TYPE_LABELS = {
    "operator": N_("Operator"),
    "token": N_("Integration"),
    "system": N_("System"),
    "fan": N_("The fan"),
}
AUDIT_TARGET_LABELS = {
    "api_token": N_("API token"),
    "autoreply_rule": N_("Auto-reply rule"),
    "coupon_campaign": N_("Coupon campaign"),
    "coupon_claim": N_("Claimed coupon"),
    "coupon_template": N_("Coupon template"),
    "customer": N_("Fan"),
    "earn_rule": N_("Earn rule"),
    "family": N_("Live-code family"),
    "flag": N_("Moderation flag"),
    "gift": N_("Gift"),
    "group": N_("Fan group"),
    "import_run": N_("Import"),
    "job": N_("Job"),
    "mall_item": N_("Mall item"),
    "operator": N_("Operator"),
    "orders": N_("Orders"),
    "points_tier": N_("Tier"),
    "redemption": N_("Redemption"),
    "segment": N_("Segment"),
    "tag": N_("Tag"),
    "ticket": N_("After-sales ticket"),
    "workspace": N_("Workspace"),
}
OTHER = N_("Other")


def audit_action_label(action: str) -> str:
    """The action as operators read it; an unknown one by its area ("Points: other")."""
    if action in AUDIT_ACTION_LABELS:
        return gettext(AUDIT_ACTION_LABELS[action])
    area = AUDIT_AREA_LABELS.get(action.split(".", 1)[0], OTHER)
    return f"{gettext(area)} · {gettext(OTHER)}"
