"""Pagination of every API list: {count, next, previous, results}."""

from rest_framework.pagination import PageNumberPagination as Base


class PageNumberPagination(Base):
    """?page=N, and ?page_size= up to 100 (PAGE_SIZE in settings is the default)."""

    page_size_query_param = "page_size"
    max_page_size = 100
