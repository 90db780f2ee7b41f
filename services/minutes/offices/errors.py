from shared.errors import Invalid, NotFound


class OfficeNotFound(NotFound):
    pass


class UnknownOffice(Invalid):
    """A request names an office code the service does not know."""

    error_type = "unknown_office"
