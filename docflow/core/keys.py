"""Secrets kept in files of their own (instance/secret_key, instance/audit_key): generated once,
readable by their owner only, never a constant in code nor a row in the database."""

import os
import secrets
import time
from pathlib import Path


def read_or_create(path: Path, *, empty_hint: str) -> tuple[str, bool]:
    """The secret in `path`, created (0600) with a fresh random value when missing. Several workers
    starting at once agree on one value. Returns (secret, created)."""
    path = Path(path)
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key, False
        raise RuntimeError(f"{path} is empty; {empty_hint}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it meanwhile: use theirs once written
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key, False
            time.sleep(0.1)
        raise RuntimeError(f"{path} is empty; {empty_hint}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key, True
