"""funcgrad's interpreters, one per module, each owning its rule table."""
