"""Live fixes from phones: devices, the inbox, and folding it into the track store."""
