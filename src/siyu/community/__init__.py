"""Fan groups (社群): memberships, messages, the keyword bot, moderation and group health."""
