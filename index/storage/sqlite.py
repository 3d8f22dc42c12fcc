"""All of a data directory's tables on one SQLite connection."""

from factdesk.index.storage.articles import SCHEMA as ARTICLE_TABLES
from factdesk.index.storage.articles import ArticleTables
from factdesk.index.storage.database import SCHEMA, Database
from factdesk.index.storage.fact_checks import SCHEMA as FACT_CHECK_TABLES
from factdesk.index.storage.fact_checks import FactCheckTables
from factdesk.index.storage.fulltext import TERM_TABLES, FullText
from factdesk.index.storage.watches import SCHEMA as WATCH_TABLES
from factdesk.index.storage.watches import WatchTables


class Store(ArticleTables, FullText, FactCheckTables, WatchTables, Database):
    scripts = (SCHEMA, ARTICLE_TABLES, FACT_CHECK_TABLES, WATCH_TABLES, TERM_TABLES)

    def counts(self) -> dict[str, int]:
        with self._lock:
            articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
            statements = self._db.execute("SELECT count(*) FROM statements").fetchone()[0]
            publishers = self._db.execute(
                "SELECT count(DISTINCT publisher) FROM articles WHERE publisher IS NOT NULL"
            ).fetchone()[0]
            fact_checks = self._db.execute("SELECT count(*) FROM fact_checks").fetchone()[0]
        return {"articles": articles, "statements": statements, "publishers": publishers, "fact_checks": fact_checks}
