"""Read a rendered HTML form and build exactly what a browser would send when its submit button
is pressed without touching anything (HTML Living Standard, "constructing the entry list"):
enabled inputs with a name, checked checkboxes and radios only, the selected options of a
select (the first option when none is selected), textareas without the one newline that
follows the start tag. Used by the form round-trip tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

NOT_SENT = {"submit", "button", "reset", "image", "file"}
_CRLF = re.compile(r"\r\n|\r|\n")


@dataclass
class BrowserForm:
    action: str  # absolute path (with query) the form posts to
    enctype: str
    entries: list[tuple[str, str]] = field(default_factory=list)
    # name -> kind: text | textarea | select | checkbox | radio | hidden | password | ...
    kinds: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # name -> data-role (select2-ajax, ...)

    def get(self, name: str) -> str | None:
        for key, value in self.entries:
            if key == name:
                return value
        return None

    def names(self) -> list[str]:
        return [k for k, _ in self.entries]

    def set(self, name: str, value) -> None:
        """Type a value into a field (replacing what it held; a list for a multiple select)."""
        values = value if isinstance(value, (list, tuple)) else [value]
        kept = [(k, v) for k, v in self.entries if k != name]
        self.entries = kept + [(name, str(v)) for v in values]

    def data(self) -> MultiDict:
        # On submission every line break is sent as CR LF (a textarea holds LF in the page).
        return MultiDict((k, _CRLF.sub("\r\n", v)) for k, v in self.entries)

    def submit(self, client, **kwargs):
        content_type = (
            "multipart/form-data"
            if self.enctype == "multipart/form-data"
            else "application/x-www-form-urlencoded"
        )
        return client.post(self.action, data=self.data(), content_type=content_type, **kwargs)


def _textarea_value(tag) -> str:
    text = tag.string if tag.string is not None else tag.get_text()
    # The parser keeps the newline right after <textarea>; a browser drops it.
    if text.startswith("\r\n"):
        return text[2:]
    if text.startswith("\n"):
        return text[1:]
    return text


def _select_values(tag) -> list[str]:
    options = [o for o in tag.find_all("option") if not o.has_attr("disabled")]
    chosen = [o for o in options if o.has_attr("selected")]
    if not chosen and not tag.has_attr("multiple") and options:
        chosen = [options[0]]
    if not tag.has_attr("multiple"):
        chosen = chosen[-1:] if len(chosen) > 1 else chosen  # the last one selected wins
    return [o["value"] if o.has_attr("value") else o.get_text() for o in chosen]


def _inside_template(tag) -> bool:
    return any(
        "inline-field-template" in (p.get("class") or []) or p.name == "template"
        for p in tag.parents
    )


def read_form(html: str, page_url: str, form_id: str | None = None) -> BrowserForm:
    """The form of the page that posts back to the page itself (Flask-Admin's create and edit
    forms), or the form with the given id."""
    soup = BeautifulSoup(html, "html.parser")
    page_path = urlsplit(page_url).path
    candidates = []
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        if form_id is not None:
            if form.get("id") == form_id:
                candidates.append(form)
            continue
        action = urljoin(page_url, form.get("action") or page_url)
        if urlsplit(action).path == page_path:
            candidates.append(form)
    assert len(candidates) == 1, f"{len(candidates)} forms post back to {page_url}"
    form = candidates[0]
    action = urljoin(page_url, form.get("action") or page_url)
    parts = urlsplit(action)
    result = BrowserForm(
        action=parts.path + (f"?{parts.query}" if parts.query else ""),
        enctype=(form.get("enctype") or "").lower(),
    )
    for tag in form.find_all(["input", "select", "textarea"]):
        name = tag.get("name")
        if not name or tag.has_attr("disabled") or _inside_template(tag):
            continue
        if tag.get("data-role"):
            result.roles[name] = tag["data-role"]
        if tag.name == "textarea":
            result.kinds[name] = "textarea"
            result.entries.append((name, _textarea_value(tag)))
        elif tag.name == "select":
            result.kinds[name] = "select"
            result.entries.extend((name, v) for v in _select_values(tag))
        else:
            kind = (tag.get("type") or "text").lower()
            if kind in NOT_SENT:
                continue
            result.kinds[name] = kind
            if kind in ("checkbox", "radio"):
                if tag.has_attr("checked"):
                    result.entries.append((name, tag.get("value", "on")))
            else:
                result.entries.append((name, tag.get("value", "")))
    return result


def open_form(client, url: str, form_id: str | None = None) -> BrowserForm:
    response = client.get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    return read_form(response.get_data(as_text=True), "http://localhost" + url, form_id)


def field_errors(response) -> str:
    """The messages a form shows under its fields, as one text."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return " ".join(
        tag.get_text(" ", strip=True) for tag in page.select(".help-block, .invalid-feedback")
    )


def send_form(client, url: str, expect: int = 302, **fields):
    """The form at `url` opened, `fields` typed in (the rest as the page has them) and sent, as
    a browser does; the answer is asserted to be `expect` (saved: a redirect). The response."""
    form = open_form(client, url)
    for name, value in fields.items():
        form.set(name, value)
    response = form.submit(client)
    assert response.status_code == expect, field_errors(response) or response.status_code
    return response
