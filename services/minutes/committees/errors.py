from shared.errors import Conflict, Invalid, NotFound


class CommitteeNotFound(NotFound):
    pass


class UnknownCommittee(Invalid):
    """A request body names a committee that does not exist."""

    error_type = "unknown_committee"


class CommitteeCodeTaken(Conflict):
    error_type = "committee_code_taken"
