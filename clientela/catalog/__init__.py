"""Products and inventory: the catalogue, its attributes, photos, prices and item statuses."""
