"""Text normalisation for accent- and case-insensitive search."""
import unicodedata


def normalize_search(text: str | None) -> str:
    """Lower-case, strip Vietnamese diacritics ("Đăng ký" -> "dang ky"), collapse spaces."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())
