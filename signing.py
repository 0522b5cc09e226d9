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

SIGNATURES_KEPT = 1024


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
        signature = super().get_signature(value)
        if len(self._made) >= SIGNATURES_KEPT:
            self._made.clear()
        self._made[value] = signature
        return signature

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
            if len(self._payloads) >= SIGNATURES_KEPT:
                self._payloads.clear()
            payload = self._payloads[obj] = super().dump_payload(obj)
        return payload


_serializers: dict = {}


def serializer(secret_key, salt: str) -> KeptSerializer:
    """A kept serializer for (secret key, salt): the same output as
    URLSafeTimedSerializer(secret_key, salt=salt)."""
    key = (secret_key, salt)
    found = _serializers.get(key)
    if found is None:
        if len(_serializers) >= 64:  # (keys rotated in tests)
            _serializers.clear()
        found = _serializers[key] = KeptSerializer(secret_key, salt=salt)
    return found
