// "New since your last visit": marks the cards ([data-brief]) of briefs published after the
// newest brief this browser had been shown by the end of its previous visit, until the reader
// opens them. Kept in localStorage, so no server is involved and nothing is sent anywhere.
// The first visit marks nothing (everything would be new). A visit is a browser session:
// sessionStorage holds where it began, so the marks stay put across reloads.
// Marks only add a class and a visually hidden word, so nothing on the page moves.
(function () {
  "use strict";
  var NEWEST = "briefgen:newest"; // stamp of the newest brief shown so far
  var OPENED = "briefgen:opened"; // slugs of briefs opened, newest last
  var SINCE = "briefgen:since"; // this session's starting point
  var LIMIT = 2000;
  var local;
  var session;
  try {
    local = window.localStorage;
    session = window.sessionStorage;
    local.getItem(NEWEST);
  } catch (err) {
    return; // storage blocked: show no marks
  }

  function opened() {
    try {
      var value = JSON.parse(local.getItem(OPENED) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (err) {
      return [];
    }
  }

  var since = session.getItem(SINCE);
  if (since === null) {
    since = local.getItem(NEWEST) || "";
    try {
      session.setItem(SINCE, since);
    } catch (err) {
      // without sessionStorage the marks last one page view
    }
  }
  var done = {};
  var list = opened();
  list.forEach(function (slug) { done[slug] = true; });

  var own = document.querySelector("[data-brief-page]");
  var ownSlug = own ? own.getAttribute("data-brief-page") : "";
  var newest = local.getItem(NEWEST) || "";
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-brief]"));
  cards.forEach(function (card) {
    var stamp = card.getAttribute("data-stamp") || "";
    var slug = card.getAttribute("data-brief");
    if (stamp > newest) {
      newest = stamp;
    }
    if (since && stamp > since && !done[slug]) {
      card.classList.add("is-new");
      var link = card.querySelector("a");
      if (link && !link.querySelector(".new-note")) {
        var label = document.createElement("span");
        label.className = "visually-hidden new-note";
        label.textContent = " (new since your last visit)";
        link.appendChild(label);
      }
    }
  });
  if (own) {
    var stampOwn = own.getAttribute("data-stamp") || "";
    if (stampOwn > newest) {
      newest = stampOwn;
    }
  }

  try {
    local.setItem(NEWEST, newest);
    if (ownSlug && !done[ownSlug]) {
      list.push(ownSlug);
      local.setItem(OPENED, JSON.stringify(list.slice(Math.max(0, list.length - LIMIT))));
    }
  } catch (err) {
    // storage full or blocked: the marks shown are still right for this page
  }
})();
