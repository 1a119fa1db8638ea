"""Jobs of the WeCom connector."""
