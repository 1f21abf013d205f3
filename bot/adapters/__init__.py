"""Adapters behind the ports: the Nexar client, the sample catalog, the stores."""
