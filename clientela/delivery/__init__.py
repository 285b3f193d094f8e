"""Delivery: Clientela's one outbound sending path (e-mail now; SMS and WhatsApp later)."""
