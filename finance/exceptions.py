"""Domain errors of finance. Each carries the translated text shown to the user."""


class FinanceError(Exception):
    """Base of finance errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
