"""Ingest: articles split into statements (segment), their language, and how check-worthy each is."""
