"""Interactive Brokers: client configs and factories for the live node, the gateway probe, historical downloads."""
