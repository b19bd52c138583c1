from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class CursorPagination(pagination.CursorPagination):
    """For big, growing lists (catalog, messages): no COUNT(*) over the whole table."""

    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
