"""Retrieval: hybrid search over vectors and full text (BM25), and wire copies merged."""
