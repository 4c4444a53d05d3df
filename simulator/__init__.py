"""A simulator of the agencies' own systems, a data-sharing service and a notification gateway, on loopback."""
