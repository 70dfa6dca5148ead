"""Visit records: the models, the crash-safe store, reading old and broken files, rendering."""
