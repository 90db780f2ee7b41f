from shared.errors import Conflict, NotFound


class MeetingNotFound(NotFound):
    pass


class DecisionLabelTaken(Conflict):
    """A meeting has one decision per label (ক, খ, ০৬(ক)...)."""

    error_type = "decision_label_taken"
