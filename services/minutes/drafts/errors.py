from shared.errors import Conflict, NotFound


class DraftNotFound(NotFound):
    error_type = "draft_not_found"


class DraftAlreadyConfirmed(Conflict):
    error_type = "draft_confirmed"
