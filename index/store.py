"""The SQLite store's names where they were before index.storage: kept while callers move to their new homes."""

from index.storage.articles import METADATA, StoredArticle, StoredStatement
from index.storage.fulltext import FREQUENT
from index.storage.sqlite import Store
from index.storage.watches import StoredDelivery, StoredWatch

__all__ = ["FREQUENT", "METADATA", "Store", "StoredArticle", "StoredDelivery", "StoredStatement", "StoredWatch"]
