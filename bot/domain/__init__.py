"""The core: what users ask and get, with no I/O, no Slack and no os.environ."""
