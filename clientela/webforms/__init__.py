"""Public web forms and their submissions: the first public surface of Clientela."""
