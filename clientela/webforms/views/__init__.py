"""Web form screens: the public endpoints (`public`) and the builder (`builder`)."""
