"""partbot: electronic part prices from Nexar (Octopart), in Slack."""
