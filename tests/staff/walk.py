"""The role walk: log in as a role in a real browser and open every page its links lead to.

For each page a role is shown a link to, the walk checks what a member of staff would notice:
the link opens (no 403, 404 or 500), nothing reads ``nan`` or ``None`` where a number or a
name belongs, no stack trace, and nothing is wider than a 1366 px screen. It keeps one
screenshot per page kind for people to look at. Used by ``tests/staff/test_role_walk.py`` on
the tiny demo, and by hand against a running server::

    .venv/bin/python -m tests.staff.walk http://127.0.0.1:8000 --out var/walk [--role finance]
"""

import argparse
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}

# Links that change state or leave the session; the walk only reads.
SKIPPED = re.compile(
    r"/logout/|/i18n/|/password/|/delete/|/run/|/export|/download|\.xlsx$|\.csv$|/media/|/file/$"
    r"|/admin/r/|/import|/jsi18n/|/autocomplete/"
)
# Words a page must not show where a value belongs.
BROKEN = re.compile(r"(?<![\w.])(nan|NaN|None|NaT|undefined)(?![\w.])|Traceback|Server Error")


@dataclass
class Finding:
    role: str
    url: str
    problem: str

    def __str__(self) -> str:
        return f"{self.role}: {self.url}: {self.problem}"


@dataclass
class Walk:
    role: str
    pages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)  # the forms submitted, by action


# Submit every POST form of the page as it stands (its current values and CSRF token), without
# following the redirect; return [action, status] pairs. A template shows a form only to a
# role holding its permission, so this posts exactly what the role may post.
SUBMIT_FORMS = """async (skipped) => {
  const done = [];
  for (const form of document.querySelectorAll("form")) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") continue;
    const action = new URL(form.getAttribute("action") || location.href, location.href);
    if (new RegExp(skipped).test(action.pathname)) continue;
    const response = await fetch(action.href, {
      method: "POST", body: new FormData(form), redirect: "manual", credentials: "same-origin",
    });
    done.push([action.pathname, response.status]);
  }
  return done;
}"""


def page_kind(url: str) -> str:
    """Return the URL's path with ids replaced, so that one page of each kind is opened."""
    path = urlsplit(url).path
    return re.sub(r"/\d+(?=/)", "/{id}", path)


def walk_role(
    browser,
    base: str,
    role: str,
    password: str,
    *,
    out: Path | None = None,
    limit: int = 80,
    submit: bool = False,
) -> Walk:
    """Walk the pages ``role`` reaches from its dashboard, at most ``limit`` kinds of page;
    with ``submit``, also post each form a page offers (it changes data: a test database)."""
    walk = Walk(role)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    # Pictures do not change what is checked (sizes come from CSS); skipping them keeps the
    # walk quick. Stylesheets and scripts load: both decide how wide a page is.
    context.route(re.compile(r"\.(png|jpe?g|gif|webp|svg|ico|woff2?)(\?|$)"), lambda r: r.abort())
    page = context.new_page()
    page.goto(urljoin(base, "/accounts/login/"))
    page.fill("#id_username", role)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/login/" in page.url:
        walk.findings.append(Finding(role, page.url, "cannot log in"))
        context.close()
        return walk

    host = urlsplit(base).netloc
    queue = deque([(urljoin(base, "/"), "")])  # (url, the page that links to it)
    seen_kinds: set[str] = set()
    while queue and len(walk.pages) < limit:
        url, source = queue.popleft()
        kind = page_kind(url)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        response = page.goto(url)
        status = response.status if response else 0
        walk.pages.append(url)
        if status != 200:
            walk.findings.append(Finding(role, url, f"answers {status} (linked from {source})"))
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        text = page.locator("body").inner_text()
        if match := BROKEN.search(text):
            start = max(match.start() - 40, 0)
            context_text = " ".join(text[start : match.end() + 40].split())
            walk.findings.append(Finding(role, url, f"shows {match.group(0)!r}: …{context_text}…"))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > VIEWPORT["width"]:
            walk.findings.append(Finding(role, url, f"is {width} px wide"))
        if out is not None:
            name = re.sub(r"[^\w]+", "_", kind).strip("_") or "dashboard"
            target = out / role / f"{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
        links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        if submit:
            for action, posted in page.evaluate(SUBMIT_FORMS, SKIPPED.pattern):
                walk.posts.append(action)
                if posted >= 500:
                    walk.findings.append(
                        Finding(role, url, f"posting to {action} answers {posted}")
                    )
        for href in links:
            link, _fragment = urldefrag(href)
            parts = urlsplit(link)
            if parts.netloc != host or SKIPPED.search(parts.path):
                continue
            if page_kind(link) not in seen_kinds:
                queue.append((link, url))
    context.close()
    return walk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, help="folder for one screenshot per page kind")
    parser.add_argument("--role", action="append", help="walk only these roles")
    parser.add_argument("--password", default="jingxi-demo")
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--submit", action="store_true", help="also post every form (changes data)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    roles = args.role or [
        "purchaser", "warehouse", "merchandiser", "marketer", "support", "finance", "manager",
    ]  # fmt: skip
    problems = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for role in roles:
            walk = walk_role(
                browser,
                args.base,
                role,
                args.password,
                out=args.out,
                limit=args.limit,
                submit=args.submit,
            )
            print(f"{role}: {len(walk.pages)} pages, {len(walk.findings)} findings")
            for finding in walk.findings:
                print(f"  {finding}")
            problems += len(walk.findings)
        browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
