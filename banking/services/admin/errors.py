"""Why an admin action was refused, in words the admin can act on."""


class AdminActionRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
