"""Signed values made on every request (the session cookie, the CSRF token) without redoing
their pure parts: itsdangerous makes a new signer for each value it signs or checks, and each
signer derives its key from the secret anew (a hash or an HMAC) before the HMAC of the value.

KeptSigner keeps its derived keys, and remembers the signatures it made: a value it signed
itself (the session cookie the browser sends back, as set by the previous response) is accepted
when it carries exactly that signature, without computing the HMAC a second time. Anything else
is checked as itsdangerous checks it; the timestamp and the age are checked as before."""

from __future__ import annotations

import hmac

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

KEPT = 1024  # values kept per store (signatures, payloads); emptied when full


def keep(store: dict, key, value, limit: int = KEPT):
    """`value` kept under `key` in `store` (emptied first when it holds `limit` values: the
    stores of this module and the session's are small and their values cheap to make again);
    returns `value`."""
    if len(store) >= limit:
        store.clear()
    store[key] = value
    return value


class KeptSigner(TimestampSigner):
    """itsdangerous' TimestampSigner, its derived keys kept and its own signatures
    remembered (one instance reused: KeptSignerMixin)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._derived: dict = {}  # secret key (None: the newest) -> derived key
        self._made: dict = {}  # value -> the signature this signer gave it (newest key)

    def derive_key(self, secret_key=None) -> bytes:
        key = self._derived.get(secret_key)
        if key is None:
            key = self._derived[secret_key] = super().derive_key(secret_key)
        return key

    def get_signature(self, value) -> bytes:
        value = want_bytes(value)
        return keep(self._made, value, super().get_signature(value))

    def verify_signature(self, value, sig) -> bool:
        made = self._made.get(want_bytes(value))
        if made is not None and hmac.compare_digest(made, want_bytes(sig)):
            return True
        return super().verify_signature(value, sig)


class KeptSignerMixin:
    """A serializer whose signer is made once per salt (a KeptSigner), not once per value."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("signer", KeptSigner)
        super().__init__(*args, **kwargs)
        self._signers: dict = {}

    def make_signer(self, salt=None):
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer


class KeptSerializer(KeptSignerMixin, URLSafeTimedSerializer):
    """URLSafeTimedSerializer with a kept signer, the payload of a string (JSON, compressed
    when shorter, base64) made once per string."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._payloads: dict = {}

    def dump_payload(self, obj) -> bytes:
        if type(obj) is not str:
            return super().dump_payload(obj)
        payload = self._payloads.get(obj)
        if payload is None:
            payload = keep(self._payloads, obj, super().dump_payload(obj))
        return payload


_serializers: dict = {}


def serializer(secret_key, salt: str) -> KeptSerializer:
    """A kept serializer for (secret key, salt): the same output as
    URLSafeTimedSerializer(secret_key, salt=salt)."""
    key = (secret_key, salt)
    found = _serializers.get(key)
    if found is None:  # (at most 64: keys rotated in tests)
        found = keep(_serializers, key, KeptSerializer(secret_key, salt=salt), 64)
    return found
