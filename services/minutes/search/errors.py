from shared.errors import Invalid


class EmptyQuery(Invalid):
    """Nothing searchable is left once the query is normalised (only spaces or invisible characters)."""

    error_type = "empty_query"
