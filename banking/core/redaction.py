"""What counts as a secret, for the log filter and the audit trail alike."""

import re

SENSITIVE_KEYS = re.compile(
    r"(password|passwd|secret|token|csrf|cookie|session|authorization|otp|code_hash|api_key)",
    re.IGNORECASE,
)
