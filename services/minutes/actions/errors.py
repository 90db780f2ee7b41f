from shared.errors import Conflict, Forbidden, NotFound


class ActionItemNotFound(NotFound):
    pass


class NotResponsible(Forbidden):
    """The calling office is not responsible for this action item (and is not the secretary)."""


class ActionClosed(Conflict):
    """A done or cancelled action item takes no more updates."""

    error_type = "action_closed"
