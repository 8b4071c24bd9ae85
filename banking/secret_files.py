"""Secrets given as files: `NAME_FILE=/run/secrets/name` instead of `NAME=value`.

Docker and Kubernetes secrets, a Vault Agent template and External Secrets all render a
secret as a file, so the value never sits in the image, the compose file or the process
environment (which `docker inspect` and /proc/<pid>/environ show). Only the standard
library here: config.py imports this before anything else exists.

Every error names the variable and the path, never the value.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# A secret file is read whole; anything bigger is a wrong path, not a key.
MAX_SECRET_BYTES = 64 * 1024


class SecretFileError(ValueError):
    """A `NAME_FILE` that cannot be used; the message is safe to print."""


def read_secret_file(variable: str, path: str) -> str:
    """The secret in `path`, without the trailing newline editors and `echo` add."""
    file = Path(path)
    try:
        if not file.is_file():
            raise SecretFileError(f"{variable}: {path} is not a readable file")
        if file.stat().st_size > MAX_SECRET_BYTES:
            raise SecretFileError(f"{variable}: {path} is too large to be a secret")
        value = file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SecretFileError(f"{variable}: cannot read {path} ({error.strerror})") from None
    except UnicodeDecodeError:
        raise SecretFileError(f"{variable}: {path} is not a text file") from None
    if not value:
        raise SecretFileError(f"{variable}: {path} is empty")
    return value


def world_readable_problem(variable: str, path: str) -> str | None:
    """Why `path` is too open for production, or None.

    Readable by its owner (and, for Docker and Kubernetes, a group: mode 0440 with an
    fsGroup) is fine; readable by every local user is not. Kubernetes mounts secrets 0644
    unless the volume says `defaultMode: 0440`.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return f"{variable}: cannot read {path} ({error.strerror})"
    if mode & stat.S_IROTH:
        return (
            f"{variable}: {path} is readable by every user on the machine "
            f"(mode {stat.S_IMODE(mode):04o}); make it 0600 or 0640"
        )
    return None
