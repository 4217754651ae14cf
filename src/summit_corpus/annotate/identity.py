"""Who an annotation is, whatever server it is on: an id that no server's numbering decides.

Label Studio numbers annotations per server from 1, so its ids collide between a laptop, a new
machine and a fresh data folder. The corpus names an annotation `ann-<16 hex>` instead:

- An annotation made in Label Studio is named by a hash of what never changes about it: the
  document, the annotator's pseudonym and the moment it was created.
- `push` gives every annotation it carries to a server the `import_id` of its name (the same 63
  bits), and an annotation that has an `import_id` is named by it. So an annotation pushed to a
  fresh server, corrected there and pulled back is the same annotation, in a newer version.

Annotators travel the same way: `push` makes (or finds) one account per pseudonym,
`<pseudonym>@` + `PSEUDONYM_DOMAIN`, and pseudonymising maps it back to the bare pseudonym.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

PREFIX = "ann-"
_MASK = (1 << 63) - 1  # import_id is a signed 64-bit integer column
_NAME = re.compile(r"^ann-([0-9a-f]{16})$")
PSEUDONYM_DOMAIN = "pseudonyms.summit-corpus.invalid"
_PSEUDONYM_EMAIL = re.compile(
    r"^(annotator-[0-9a-f]{12})@" + re.escape(PSEUDONYM_DOMAIN) + "$", re.IGNORECASE
)


def _instant(value: Any) -> str:
    """The creation time in one spelling (Z or +00:00, any offset), microseconds kept."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def annotator_key(annotation: Mapping[str, Any]) -> str:
    """RETURNS (str): The annotator as the export names them (e-mail or pseudonym, or id)."""
    user = annotation.get("completed_by")
    if isinstance(user, Mapping):
        return str(user.get("email") or user.get("id") or "")
    return "" if user is None else f"user-{user}"


def annotation_name(doc_id: str, annotation: Mapping[str, Any]) -> str:
    """Name an annotation of a Label Studio export independently of the server's ids.

    doc_id (str): The document of its task.
    annotation (Mapping[str, Any]): The annotation object of the export.
    RETURNS (str): `ann-<16 hex>`: from its `import_id` if it has one (it was pushed by the
        corpus), else a hash of doc_id, annotator and creation time.
    """
    imported = annotation.get("import_id")
    if isinstance(imported, int) and not isinstance(imported, bool) and imported > 0:
        return f"{PREFIX}{imported & _MASK:016x}"
    created = _instant(annotation.get("created_at"))
    if not created:  # no creation time: the server's own id is all there is
        created = f"task {annotation.get('task')} annotation {annotation.get('id')}"
    key = "\0".join((doc_id, annotator_key(annotation), created)).encode("utf-8")
    value = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") & _MASK
    return f"{PREFIX}{value:016x}"


def import_id(identity: str) -> int | None:
    """RETURNS (int | None): The `import_id` that carries `identity` to a server, if it is one."""
    match = _NAME.match(identity)
    return int(match.group(1), 16) if match else None


def pseudonym_email(pseudonym: str) -> str:
    """RETURNS (str): The e-mail of the account `push` makes for an annotator's pseudonym."""
    return f"{pseudonym}@{PSEUDONYM_DOMAIN}"


def pseudonym_of_email(email: str) -> str | None:
    """RETURNS (str | None): The pseudonym an account made by `push` stands for, if it is one."""
    match = _PSEUDONYM_EMAIL.match(email.strip())
    return match.group(1).lower() if match else None
