// The search page: runs queries against the Pagefind index with its JS API.
// A classic script (not a module) so that it still loads from file://, where it can
// explain why searching needs the site to be served over HTTP.
(function () {
  "use strict";
  var form = document.getElementById("search-page");
  if (!form) {
    return;
  }
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var input = document.getElementById("search-q");
  var header = document.getElementById("site-search");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-meta]"));
  var api = null;
  var ticket = 0;
  var MAX_SHOWN = 30;
  var MAX_RANKED = 60;
  var MAX_FILTERED = 300;
  var REF_BOOST = 0.02;

  function say(text) {
    status.textContent = text;
  }

  // Chosen filters as {meta key: wanted value}; the keys are set in search.html.
  function chosenFilters() {
    var out = {};
    selects.forEach(function (select) {
      if (select.value) {
        out[select.dataset.meta] = select.value;
      }
    });
    return out;
  }

  // Tags and entities are JSON lists in the metadata, the section a plain string.
  function matches(data, filters) {
    var meta = data.meta || {};
    return Object.keys(filters).every(function (key) {
      var value = meta[key] || "";
      if (value.charAt(0) === "[") {
        try {
          return JSON.parse(value).indexOf(filters[key]) !== -1;
        } catch (err) {
          return false;
        }
      }
      return value === filters[key];
    });
  }

  function readQuery() {
    var params = new URLSearchParams(window.location.search);
    input.value = params.get("q") || "";
    selects.forEach(function (select) {
      var wanted = params.get(select.name);
      if (wanted) {
        select.value = wanted;
      }
    });
  }

  function writeQuery() {
    var params = new URLSearchParams();
    if (input.value.trim()) {
      params.set("q", input.value.trim());
    }
    selects.forEach(function (select) {
      if (select.value) {
        params.set(select.name, select.value);
      }
    });
    var query = params.toString();
    window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
  }

  function loadIndex() {
    if (api) {
      return Promise.resolve(api);
    }
    // Relative to this page, so the site works under any path prefix (e.g. /repo/).
    var url = new URL(form.dataset.index, document.baseURI).href;
    return import(url).then(function (module) {
      return Promise.resolve(module.options({ excerptLength: 30 })).then(function () {
        api = module;
        return module;
      });
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  // The words Pagefind marked in an excerpt (it escapes the page text and adds only <mark>).
  function markedWords(excerpt) {
    var holder = document.createElement("div");
    holder.innerHTML = excerpt || "";
    var words = {};
    Array.prototype.forEach.call(holder.querySelectorAll("mark"), function (mark) {
      var word = mark.textContent.trim().toLowerCase();
      if (word.length > 1) {
        words[word] = true;
      }
    });
    return { text: holder.textContent.replace(/\s+/g, " ").trim(), words: Object.keys(words) };
  }

  // ``text`` as text nodes with the given words wrapped in <mark>; never parsed as markup.
  function highlighted(tag, className, text, words) {
    var node = element(tag, className);
    if (!words.length) {
      node.textContent = text;
      return node;
    }
    var escaped = words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    var pattern = new RegExp("(" + escaped.join("|") + ")", "gi");
    var last = 0;
    text.replace(pattern, function (match, _group, offset) {
      node.appendChild(document.createTextNode(text.slice(last, offset)));
      node.appendChild(element("mark", "", match));
      last = offset + match.length;
      return match;
    });
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  function squash(text) {
    return text.replace(/[\s\u2026.]+/g, " ").trim().toLowerCase();
  }

  // A result says what the brief is about: its summary, with the matched words marked, and
  // the matching passage of the body only when the match is not in the summary or title.
  function render(data) {
    var meta = data.meta || {};
    var item = element("li", "search-result");
    var heading = element("h2");
    var link = element("a", "", meta.title || data.url);
    link.href = data.url;
    heading.appendChild(link);
    item.appendChild(heading);
    var line = [meta.date, meta.section].filter(Boolean);
    if (line.length) {
      item.appendChild(element("p", "meta", line.join(" · ")));
    }
    var found = markedWords(data.excerpt);
    if (meta.summary) {
      item.appendChild(highlighted("p", "summary", meta.summary, found.words));
    }
    var passage = squash(found.text);
    var shown = squash((meta.title || "") + " " + (meta.summary || ""));
    if (passage && shown.indexOf(passage.slice(0, 60)) === -1) {
      var excerpt = element("p", "excerpt");
      excerpt.appendChild(element("span", "excerpt-label", "In the brief: "));
      var body = element("span");
      body.innerHTML = data.excerpt; // Pagefind's escaped text with <mark> around matches
      excerpt.appendChild(body);
      item.appendChild(excerpt);
    }
    return item;
  }

  // Pagefind scores matches of similar wording almost equally; among those, the brief that
  // other briefs follow up or link to (the story's anchor) is the better first answer.
  // The boost is a few percent, so it never lifts a clearly weaker match.
  function rerank(results, items) {
    var scored = items.map(function (data, i) {
      var refs = Math.min(parseInt((data.meta || {}).refs, 10) || 0, 5);
      return { data: data, score: results[i].score * (1 + REF_BOOST * refs), order: i };
    });
    scored.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    return scored.map(function (s) { return s.data; });
  }

  function unavailable() {
    list.replaceChildren();
    if (window.location.protocol === "file:") {
      say("Search works when the site is served over HTTP (for example on GitHub Pages); " +
          "browsers do not let pages opened from disk load the search index.");
    } else {
      say("The search index is not available on this copy of the site.");
    }
  }

  function run() {
    var term = input.value.trim();
    var filters = chosenFilters();
    var filtered = Object.keys(filters).length > 0;
    var mine = ++ticket;
    if (header) {
      header.value = term;
    }
    if (!term) {
      list.replaceChildren();
      say(filtered ? "Type a word to search the briefs that match these filters."
                   : "Type a word to search the briefs.");
      return Promise.resolve();
    }
    say("Searching…");
    return loadIndex().then(function (pagefind) {
      return pagefind.search(term);
    }).then(function (found) {
      if (mine !== ticket) {
        return null;
      }
      // Filters are checked on each result's metadata, so look further down the list.
      var considered = found.results.slice(0, filtered ? MAX_FILTERED : MAX_RANKED);
      var loads = considered.map(function (r) { return r.data(); });
      return Promise.all(loads).then(function (items) {
        if (mine !== ticket) {
          return;
        }
        var ranked = rerank(considered, items).filter(function (data) {
          return matches(data, filters);
        });
        var shown = ranked.slice(0, MAX_SHOWN);
        list.replaceChildren.apply(list, shown.map(render));
        var total = filtered ? ranked.length : found.results.length;
        var what = "“" + term + "”" + (filtered ? " with these filters" : "");
        if (total === 0) {
          say("No results for " + what + ".");
        } else {
          say(total + (total === 1 ? " result" : " results") + " for " + what +
              (total > shown.length ? ", showing the first " + shown.length : "") + ".");
        }
      });
    }, function () {
      if (mine === ticket) {
        unavailable();
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    writeQuery();
    run();
  });
  selects.forEach(function (select) {
    select.addEventListener("change", function () {
      writeQuery();
      run();
    });
  });
  readQuery();
  run();
})();
