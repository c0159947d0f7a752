// briefgen live preview: keeps the open page in step with the sources while you edit.
// Injected by `briefgen serve` only; the built site never contains it.
(() => {
  "use strict";
  const script = document.currentScript;
  const here = (script && script.dataset.path) || "";
  let version = -1;
  let host = null; // the error overlay's element, outside <body> so morphing never touches it
  let busy = false;
  let again = false;

  function handle(message) {
    if (message.type === "hello") {
      if (version >= 0 && message.version !== version) refresh(); // missed updates offline
      version = message.version;
      showErrors(message.errors);
    } else if (message.type === "errors") {
      showErrors(message.errors);
    } else if (message.type === "change") {
      version = message.version;
      if (message.follow && message.follow !== here) {
        location.assign("/" + message.follow);
        return;
      }
      if (message.reload) {
        location.reload();
        return;
      }
      if (message.css.length) swapStyles(message.css, message.version);
      if (message.html && message.html[here] !== undefined) refresh(message.html[here]);
      else if (message.pages === "*" || message.pages.includes(here)) refresh();
    }
  }

  // Morph the live DOM into the page's new HTML (given, or fetched again). Updates apply in
  // order: while a fetch is in flight, newer changes just ask for one more fetch.
  async function refresh(text) {
    if (busy) {
      again = true;
      return;
    }
    if (text !== undefined) {
      apply(text);
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const response = await fetch(location.pathname + location.search, { cache: "no-store" });
        apply(await response.text());
      } while (again);
    } catch (error) {
      console.info("briefgen: could not refresh the page", error);
    } finally {
      busy = false;
    }
  }

  function apply(text) {
    const fresh = new DOMParser().parseFromString(text, "text/html");
    const x = window.scrollX;
    const y = window.scrollY;
    if (document.title !== fresh.title) document.title = fresh.title;
    syncAttributes(document.body, fresh.body);
    morphChildren(document.body, fresh.body);
    if (window.scrollX !== x || window.scrollY !== y) window.scrollTo(x, y);
  }

  function sameKind(a, b) {
    if (a.nodeType !== b.nodeType) return false;
    if (a.nodeType !== Node.ELEMENT_NODE) return true;
    return a.tagName === b.tagName && (a.id || "") === (b.id || "");
  }

  function syncAttributes(from, to) {
    for (const { name } of Array.from(from.attributes)) {
      if (!to.hasAttribute(name)) from.removeAttribute(name);
    }
    for (const { name, value } of Array.from(to.attributes)) {
      if (from.getAttribute(name) !== value) from.setAttribute(name, value);
    }
  }

  function morphNode(from, to) {
    if (from.nodeType !== Node.ELEMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    syncAttributes(from, to);
    morphChildren(from, to);
  }

  // Elements with an id are matched by id wherever they moved; the rest by position, with a
  // short look-ahead so one inserted or removed element does not rebuild all that follows.
  function morphChildren(from, to) {
    const byId = new Map();
    for (const child of from.children) if (child.id) byId.set(child.id, child);
    let cursor = from.firstChild;
    for (const next of Array.from(to.childNodes)) {
      let match = null;
      if (next.nodeType === Node.ELEMENT_NODE && next.id && byId.has(next.id)) {
        match = byId.get(next.id);
        byId.delete(next.id);
      } else {
        let probe = cursor;
        for (let step = 0; probe && step < 8; step += 1, probe = probe.nextSibling) {
          if (sameKind(probe, next) && !(probe.nodeType === Node.ELEMENT_NODE && probe.id)) {
            match = probe;
            break;
          }
        }
      }
      if (match === null) {
        from.insertBefore(document.importNode(next, true), cursor);
        continue;
      }
      if (match === cursor) cursor = cursor.nextSibling;
      else from.insertBefore(match, cursor);
      morphNode(match, next);
    }
    while (cursor) {
      const stale = cursor;
      cursor = cursor.nextSibling;
      from.removeChild(stale);
    }
  }

  // Load the new stylesheet next to the old one and drop the old one once it applies: no flash.
  function swapStyles(paths, stamp) {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin || !paths.includes(url.pathname.slice(1))) continue;
      url.searchParams.set("briefgen", String(stamp));
      const fresh = link.cloneNode(false);
      fresh.href = url.href;
      fresh.addEventListener("load", () => link.remove(), { once: true });
      fresh.addEventListener("error", () => fresh.remove(), { once: true });
      link.after(fresh);
    }
  }

  const STYLE = `
    :host { all: initial; }
    .panel { position: fixed; inset: 0; z-index: 2147483647; overflow: auto; margin: 0;
      padding: 24px; background: rgb(20, 20, 24); color: #f3f3f3;
      font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    h2 { margin: 0 0 16px; font-size: 18px; color: #ff8080; }
    .error { margin: 0 0 16px; padding: 12px 16px; border-left: 4px solid #ff5c5c;
      background: rgba(255, 255, 255, 0.06); }
    .where { font-weight: bold; color: #9cdcfe; }
    .source { margin: 8px 0; white-space: pre; overflow-x: auto; color: #ffd580; }
    .hint { color: #b5e8b0; }
    .note { color: #aaa; }`;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text; // text only: messages are never markup
    return node;
  }

  function showErrors(errors) {
    if (!errors || errors.length === 0) {
      if (host) host.remove();
      host = null;
      return;
    }
    if (!host) {
      host = document.createElement("div");
      host.id = "briefgen-overlay";
      host.attachShadow({ mode: "open" });
      document.documentElement.appendChild(host);
    }
    const panel = element("div", "panel");
    panel.setAttribute("role", "alert");
    const count = errors.length === 1 ? "1 error" : `${errors.length} errors`;
    panel.append(element("h2", "title", `briefgen: ${count}`));
    for (const item of errors) {
      const box = element("section", "error");
      let where = item.path;
      if (item.line) where += `:${item.line}` + (item.col ? `:${item.col}` : "");
      box.append(element("div", "where", where));
      box.append(element("div", "message", `${item.severity}: ${item.message} [${item.code}]`));
      if (item.source_line) {
        const gutter = `${item.line} | `;
        let text = gutter + item.source_line;
        if (item.col) text += "\n" + " ".repeat(gutter.length + item.col - 1) + "^";
        box.append(element("pre", "source", text));
      }
      if (item.hint) box.append(element("div", "hint", `hint: ${item.hint}`));
      panel.append(box);
    }
    panel.append(element("p", "note",
      "The last good version of the page stays underneath; this goes away once it is fixed."));
    const style = document.createElement("style");
    style.textContent = STYLE;
    host.shadowRoot.replaceChildren(style, panel);
  }

  // One shared connection for all tabs (browsers allow only ~6 per host); a stream per tab
  // where shared workers are unavailable.
  function connect() {
    if ("SharedWorker" in window) {
      try {
        const worker = new SharedWorker("/__briefgen/worker.js", { name: "briefgen-live" });
        worker.port.onmessage = (event) => handle(event.data);
        addEventListener("pagehide", () => worker.port.postMessage("bye"));
        addEventListener("pageshow", (event) => {
          if (event.persisted) worker.port.postMessage("hi");
        });
        worker.port.postMessage("hi");
        return;
      } catch (error) {
        console.info("briefgen: no shared worker, using a stream per tab", error);
      }
    }
    const source = new EventSource("/__briefgen/events");
    source.onmessage = (event) => handle(JSON.parse(event.data));
  }

  // For tests and benchmarks: the version shown, -1 until the stream is connected.
  window.__briefgen = { get version() { return version; } };
  connect();
})();
