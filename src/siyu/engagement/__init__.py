"""Check-in camps (打卡): N-day camps on a fan group, daily tasks, check-ins and rewards."""
