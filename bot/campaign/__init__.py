"""Campaigns and their timeline ("đợt đối thoại", "mốc thời gian"): set-up, the legal
deadlines, units and unit search, reminders, and the retention sweep."""
