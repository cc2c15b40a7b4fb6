"""The read API: queries over the read models, in a FastAPI app of its own."""
