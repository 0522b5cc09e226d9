"""What a page complains about in Chromium (CSP violations, script errors), for the browser
tests to assert there is nothing."""

# Reports every violation to the console, with its directive and source (set before any page
# script runs; DevTools init scripts are not subject to the page's CSP).
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI +
                ' at ' + e.sourceFile + ':' + e.lineNumber + ' ' + (e.sample || ''));
});
"""


class Watch:
    """Everything the page complains about: CSP violations, script errors, failed requests."""

    def __init__(self, page):
        self.problems = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("popup", self._new_page)  # printed forms open in a new tab

    def _new_page(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))

    def _console(self, message):
        text, url = message.text, message.location.get("url") or ""
        if message.type == "error" or "Content Security Policy" in text:
            self.problems.append(f"{message.type}: {text} ({url})")

    def check(self, where: str):
        problems, self.problems[:] = list(self.problems), []
        assert problems == [], f"{where}: {problems}"
