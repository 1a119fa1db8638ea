"""Old brings new (老带新): referrals, invite links and rewards for first paid orders."""
