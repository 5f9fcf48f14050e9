"""Pages on a cheap phone (issue 19): `/deposit`, `/track` and a receipt's verification page under
Chromium's 4× CPU slowdown and a slow-3G network, cold loads in fresh browser contexts.

`make bench-phone` (= ``python bench/phone.py``) starts a prod build itself (``reflex run --env prod`` on a
free port, throw-away seeded data directory: ``bench/loadserver.prod_server``), makes one deposit through
``POST /api/v1/deposits`` for a receipt's ``/verify/<reference>?t=<token>`` URL, loads each page once to warm
the fresh backend up (not kept), then ``--runs`` (default 5) cold loads per page, each in a new browser
context (empty cache, no service worker, no cookies) with, set by CDP before the navigation:

- ``Emulation.setCPUThrottlingRate`` rate 4;
- ``Network.emulateNetworkConditions``: latency 400 ms, 400 kbit/s (50,000 bytes/s) down and up — the
  "Slow 3G" of the brief (DevTools' own preset adds more latency: 2 s).

What is measured, all in milliseconds from the navigation start (``performance.timeOrigin``), by a script
the context injects before any page script runs:

- **usable** (`/deposit`, `/track`): the page's first text input (``#deposit-search``, ``#track-number``) is
  typed into as early as possible — Playwright waits for it to be visible and enabled, then types
  ``TYPED`` one key at a time. ``first_key`` is the time of the first ``input`` event on it. After the
  page hydrated (the websocket frame that carries ``is_hydrated_rx_state_: true``, with ``on_load`` done) and
  ``SETTLE_S`` more, the field's value is read: **kept** when it is still exactly ``TYPED``. Usable =
  ``first_key`` when kept; when the text was lost, typing was safe only after hydration, so usable = the
  hydration time + the time the same text took to type (the run counts as "lost").
- **verdict** (verification page): the first time a verdict is in the document and rendered
  (``checkVisibility()``), checked on every DOM mutation: the app's ``[data-testid=verify-verdict]``
  (``verdict_app``) or the one the server puts into the HTML (``mr-verdict .verdict``, see
  ``verify_receipt.verdict_in_html``).
- ``hydrated``: the hydration frame's arrival; ``fcp`` / ``lcp``: the Paint Timing and Largest
  Contentful Paint entries (LCP read once the page hydrated); ``load``: the load event.
- Bytes per page from the network responses (``requestfinished`` + ``request.sizes()``): JavaScript
  (``.js`` responses and the resource type ``script``), CSS, fonts, the document and everything, as
  transferred (body as sent, compressed, plus headers) and the JavaScript once decoded.

It prints a table (median of the runs against the targets, min–max) with the load average before and
after each page, and writes ``bench/out/phone.json`` (every run). ``--base URL`` measures a server that is
already running instead (then it makes its deposit there).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadserver import load, machine, prod_server  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "bench" / "out"
TYPED = "AB12CD"
SETTLE_S = 1.0
TARGET_MS = 1500
NETWORK = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
CPU_RATE = 4
VIEWPORT = {"width": 390, "height": 844}
UA = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)

# Runs in every document before its own scripts: timings on ``window.__phone``.
PROBE = r"""
(() => {
  const P = (window.__phone = {
    fcp: null, lcp: null, hydrated: null, verdict: null, verdict_app: null, first_key: {}, load: null});
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) if (e.name === 'first-contentful-paint') P.fcp = e.startTime;
    }).observe({type: 'paint', buffered: true});
    new PerformanceObserver((l) => { for (const e of l.getEntries()) P.lcp = e.startTime; })
      .observe({type: 'largest-contentful-paint', buffered: true});
  } catch (e) {}
  addEventListener('load', () => { P.load = performance.now(); });
  document.addEventListener('input', (e) => {
    const id = e.target && e.target.id;
    if (id && !(id in P.first_key)) P.first_key[id] = performance.now();
  }, true);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        if (P.hydrated === null && typeof e.data === 'string' && e.data.includes('"is_hydrated_rx_state_":true'))
          P.hydrated = performance.now();
      });
    }
  };
  const shown = (v) => v && (v.checkVisibility ? v.checkVisibility() : v.offsetParent !== null);
  const seen = () => {
    if (P.verdict_app === null && shown(document.querySelector('[data-testid=verify-verdict]')))
      P.verdict_app = performance.now();
    if (P.verdict === null && (P.verdict_app !== null || shown(document.querySelector('mr-verdict .verdict'))))
      P.verdict = performance.now();
  };
  seen();
  new MutationObserver(seen).observe(document, {childList: true, subtree: true, attributes: true});
})();
"""


def _deposit(base: str) -> str:
    """One deposit through the API; returns its receipt's verification path (``/verify/<ref>?t=…``)."""
    r = httpx.post(
        f"{base}/api/v1/deposits",
        data={
            "administration": "MEF",
            "full_name": "Fatima Zahra Alaoui",
            "id_kind": "CIN",
            "id_value": "AB123456",
            "email": "phone-bench@example.ma",
            "phone": "",
            "subject": "Demande d'attestation",
            "message": "Mesure des pages sur un téléphone modeste.",
            "lang": "fr",
        },
        timeout=120,
    )
    r.raise_for_status()
    url = r.json()["verify_url"]
    return re.sub(r"^https?://[^/]+", "", url)


def _kind(url: str, resource_type: str, content_type: str) -> str:
    path = url.split("?", 1)[0]
    if resource_type == "script" or path.endswith((".js", ".mjs")):
        return "js"
    if resource_type == "stylesheet" or path.endswith(".css"):
        return "css"
    if resource_type == "font" or path.endswith((".woff2", ".woff", ".ttf")):
        return "font"
    if resource_type == "document":
        return "document"
    return "other"


def one_load(browser: Any, url: str, field: str | None, *, throttle: bool = True, timeout_s: float = 60) -> dict:
    """One cold load of ``url`` in a fresh context; ``field`` = id of the input to type into (or None)."""
    ctx = browser.new_context(viewport=VIEWPORT, user_agent=UA, is_mobile=True, has_touch=True, locale="fr-FR")
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    page.set_default_timeout(timeout_s * 1000)
    finished: list[Any] = []
    page.on("requestfinished", lambda r: finished.append(r))
    cdp = ctx.new_cdp_session(page)
    if throttle:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_RATE})
    run: dict[str, Any] = {"load_before": load()}
    try:
        page.goto(url, wait_until="commit")
        typing_ms = 0.0
        if field:
            box = page.locator(f"#{field}")
            box.wait_for(state="visible")
            started = time.monotonic()
            box.press_sequentially(TYPED)
            typing_ms = (time.monotonic() - started) * 1000
        page.wait_for_function("window.__phone && window.__phone.hydrated !== null", polling=100)
        time.sleep(SETTLE_S)
        if field is None:
            page.wait_for_function("window.__phone.verdict_app !== null", polling=100)
        page.wait_for_load_state("load")
        probe = page.evaluate("window.__phone")
        run.update({k: _ms(probe[k]) for k in ("fcp", "lcp", "hydrated", "verdict", "verdict_app", "load")})
        if field:
            value = page.locator(f"#{field}").input_value()
            first = probe["first_key"].get(field)
            run.update(typed=TYPED, value=value, kept=value == TYPED, first_key=_ms(first), typing_ms=round(typing_ms))
            run["usable"] = run["first_key"] if run["kept"] else round(run["hydrated"] + typing_ms)
    finally:
        bytes_by_kind: dict[str, dict[str, int]] = {}
        for req in finished:
            try:
                sizes = req.sizes()
                resp = req.response()
                ctype = (resp.headers.get("content-type", "") if resp else "") or ""
            except Exception:  # a request of a closed page
                continue
            kind = _kind(req.url, req.resource_type, ctype)
            b = bytes_by_kind.setdefault(kind, {"count": 0, "transferred": 0, "decoded": 0})
            b["count"] += 1
            b["transferred"] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            b["decoded"] += _decoded(req, resp) if kind == "js" else 0
        run["bytes"] = bytes_by_kind
        run["js_files"] = sorted(
            {r.url.split("?", 1)[0].rsplit("/", 1)[-1] for r in finished if _kind(r.url, r.resource_type, "") == "js"}
        )
        run["load_after"] = load()
        ctx.close()
    return run


def _decoded(req: Any, resp: Any) -> int:
    try:
        return len(resp.body()) if resp else 0
    except Exception:
        return 0


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v)


def _median(runs: list[dict], key: str) -> float | None:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(vals)) if vals else None


def _span(runs: list[dict], key: str) -> str:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return f"{min(vals):.0f}–{max(vals):.0f}" if vals else "—"


def measure(base: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    verify = _deposit(base)
    pages = [
        ("deposit", "/deposit/", "deposit-search"),
        ("track", "/track/", "track-number"),
        ("verify", verify, None),
    ]
    result: dict[str, Any] = {
        "machine": machine(),
        "base": base,
        "conditions": {"cpu_throttling_rate": CPU_RATE, "network": NETWORK, "viewport": VIEWPORT, "typed": TYPED},
        "target_ms": TARGET_MS,
        "pages": {},
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for name, path, field in pages:  # warm-up, not kept: a fresh backend imports and caches
                one_load(browser, base + path, field, throttle=False)
            for name, path, field in pages:
                loads = []
                for i in range(runs):
                    r = one_load(browser, base + path, field)
                    loads.append(r)
                    print(f"  {name} run {i + 1}: " + json.dumps({k: v for k, v in r.items() if k != "js_files"}))
                result["pages"][name] = {"path": re.sub(r"t=[^&]+", "t=…", path), "field": field, "runs": loads}
        finally:
            browser.close()
    return result


def summarise(result: dict) -> str:
    n = len(next(iter(result["pages"].values()))["runs"])
    lines = [
        f"Pages on a cheap phone: CPU ×{CPU_RATE}, {NETWORK['latency']} ms latency, "
        f"{NETWORK['downloadThroughput'] * 8 // 1000} kbit/s down/up, median of {n} cold loads",
        "| page | usable (typing kept) | verdict | kept | hydrated | FCP | LCP | JS transferred (decoded) "
        "| all bytes | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in result["pages"].items():
        runs = p["runs"]
        js = statistics.median([r["bytes"].get("js", {}).get("transferred", 0) for r in runs])
        js_dec = statistics.median([r["bytes"].get("js", {}).get("decoded", 0) for r in runs])
        total = statistics.median([sum(b["transferred"] for b in r["bytes"].values()) for r in runs])
        kept = f"{sum(1 for r in runs if r.get('kept'))}/{len(runs)}" if p["field"] else "—"
        usable = f"{_median(runs, 'usable')} ({_span(runs, 'usable')})" if p["field"] else "—"
        verdict = f"{_median(runs, 'verdict')} ({_span(runs, 'verdict')})" if not p["field"] else "—"
        loads = [r["load_before"][0] for r in runs] + [r["load_after"][0] for r in runs]
        lines.append(
            f"| {name} | {usable} | {verdict} | {kept} | {_median(runs, 'hydrated')} | {_median(runs, 'fcp')} | "
            f"{_median(runs, 'lcp')} | {js / 1024:.0f} KB ({js_dec / 1024:.0f} KB) | {total / 1024:.0f} KB | "
            f"{min(loads):.1f}–{max(loads):.1f} |"
        )
    lines.append(f"target: usable and verdict ≤ {TARGET_MS} ms (medians; times in ms from navigation start)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", help="measure a running server instead of starting a prod build")
    parser.add_argument("--out", default=str(OUT / "phone.json"))
    args = parser.parse_args()
    started = load()
    with nullcontext(None) if args.base else prod_server("embedded", "phone") as server:
        base = args.base or server.base_url.replace("127.0.0.1", "localhost")
        result = measure(base, args.runs)
    result["load_at_start"], result["load_at_end"] = started, load()
    table = summarise(result)
    result["table"] = table
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(table)
    print(f"load average at start {started}, at end {result['load_at_end']}; JSON: {args.out}")


if __name__ == "__main__":
    main()
