"""The chat turn: a list of steps (``pipeline``) over one typed state (``state``); ``reply`` builds
the reply in one place; ``compose`` writes the answer from the passages."""

from app.turn.pipeline import NOT_FOUND_TEXT, TurnPipeline
from app.turn.state import Outcome, TurnState

__all__ = ["NOT_FOUND_TEXT", "Outcome", "TurnPipeline", "TurnState"]
