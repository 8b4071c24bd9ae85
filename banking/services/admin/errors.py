"""Why an admin action was refused, in words the admin can act on."""

from banking.core.errors import DomainError


class AdminActionRefused(DomainError):
    code = "admin_action_refused"
