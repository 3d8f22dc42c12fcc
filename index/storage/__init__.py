"""Storage: SQLite (articles, statements, full text, fact-checks, watches), the write lock and vector backends."""
