"""Domain errors of finance. Each carries everything a user needs to fix the input."""


class FinanceError(Exception):
    """Base of finance errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidFinanceInput(FinanceError):
    """The request itself is wrong; ``problems`` lists every thing to correct."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


class BillRefused(FinanceError):
    """A supplier bill cannot take this step (approve, cancel, pay) in its state."""


class ApprovalRefused(BillRefused):
    """The bill may not be approved: no permission, or differences without a note
    (``differences`` lists them)."""

    def __init__(self, message: str, differences: list | None = None):
        super().__init__(message)
        self.differences = differences or []
