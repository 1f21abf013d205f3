"""Renderers: an outcome in, Slack text + blocks out (formatting only, no Slack calls)."""
