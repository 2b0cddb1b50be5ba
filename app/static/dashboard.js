// The live dashboard: when the server's event stream says a tracker synced, a text moved on or the account
// changed, fetch the banners, devices and texts again and swap in only the sections that changed, so the
// reader keeps their place; the live region says what changed ("Charge 6 is now 15%, low"), and the
// "3 hours ago" times keep ticking. Every word comes from the page (#live-words' data attributes, in the page's language) or from
// the browser's Intl, in the page's language (<html lang>) and the account's time zone: no English here.
(function () {
  "use strict";
  var parts = document.getElementById("live-parts");
  var status = document.getElementById("live-status");
  if (!parts) {
    return;
  }
  var zone = parts.dataset.timeZone || undefined;
  var language = document.documentElement.lang || "en";
  var wordsHome = document.getElementById("live-words");
  var words = wordsHome ? wordsHome.dataset : {};
  var busy = false;
  var again = false;
  var fallback = null;
  var ending = null;

  function say(sentence) {
    if (status) {
      status.textContent = sentence;
    }
  }

  function fill(key, values) {
    // "{name} is now {level}." with each {placeholder} filled in.
    return (words[key] || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  function clock() {
    // The account's time zone, like every other time on the page, not the browser's; the 24-hour clock.
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat(language, Object.assign({ timeZone: zone }, options)).format(new Date());
    } catch (error) {
      return new Intl.DateTimeFormat(language, options).format(new Date());
    }
  }

  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(language) : null;

  function ago(iso, shown) {
    // The server's rule (dashboard/times.py ago): just now, then whole minutes, hours, days, worded by CLDR
    // as Babel words them there. A browser without RelativeTimeFormat keeps the server's words.
    var seconds = (Date.now() - Date.parse(iso)) / 1000;
    var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i += 1) {
      if (seconds >= units[i][1]) {
        return relative ? relative.format(-Math.floor(seconds / units[i][1]), units[i][0]) : shown;
      }
    }
    return words.justNow || shown;
  }

  function tick() {
    document.querySelectorAll("time[data-ago]").forEach(function (time) {
      var said = ago(time.getAttribute("datetime"), time.textContent);
      if (time.textContent !== said) {
        time.textContent = said;
      }
    });
  }

  function devices(root) {
    var found = {};
    root.querySelectorAll("[data-device]").forEach(function (card) {
      found[card.dataset.device] = {
        name: card.dataset.name, level: card.dataset.level, state: card.dataset.state, urgency: card.dataset.urgency
      };
    });
    return found;
  }

  function changes(before, after, fresh) {
    var said = [];
    Object.keys(after).forEach(function (id) {
      var was = before[id];
      var now = after[id];
      if (!was || was.level !== now.level || was.state !== now.state) {
        var values = { name: now.name, level: now.level, state: (now.state || "").toLocaleLowerCase(language) };
        said.push(now.state && now.urgency !== "fine" ? fill("isNowState", values) : fill("isNow", values));
      }
    });
    var shown = {};
    parts.querySelectorAll("[data-text]").forEach(function (text) { shown[text.dataset.text] = true; });
    fresh.querySelectorAll("[data-text]").forEach(function (text) {
      if (!shown[text.dataset.text]) {
        said.push(fill("newText", { kind: text.querySelector(".text-kind").textContent }));
      }
    });
    return said;
  }

  function comparable(html) {
    // Each render signs a fresh CSRF token: that alone is no change.
    return html.replace(/name="csrf_token" value="[^"]*"/g, "");
  }

  function refreshWhenABannerEnds() {
    // A timed pause ends by itself, with no event: fetch the banners again just after it ends (at most a day
    // ahead, which setTimeout can count).
    window.clearTimeout(ending);
    var soonest = null;
    parts.querySelectorAll("[data-ends-at]").forEach(function (banner) {
      var at = Date.parse(banner.dataset.endsAt);
      if (!isNaN(at) && (soonest === null || at < soonest)) {
        soonest = at;
      }
    });
    if (soonest !== null) {
      ending = window.setTimeout(function () { refresh(true); }, Math.min(Math.max(0, soonest - Date.now()) + 1000, 86400000));
    }
  }

  function swap(html, announce) {
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    var said = changes(devices(parts), devices(fresh), fresh);
    var focused = document.activeElement && parts.contains(document.activeElement) ? document.activeElement.id : null;
    fresh.querySelectorAll("[data-live-section]").forEach(function (section) {
      var shown = document.getElementById(section.id);
      if (!shown) {
        parts.appendChild(section);
      } else if (comparable(shown.innerHTML) !== comparable(section.innerHTML)) {
        shown.replaceWith(section);
      }
    });
    if (focused && document.getElementById(focused)) {
      document.getElementById(focused).focus();
    }
    tick();
    refreshWhenABannerEnds();
    parts.dataset.refreshedAt = String(Date.now());
    // Only news is announced: a text's status moving on (sent, then delivered) changes the page but says
    // nothing, so it does not talk over the announcement of the reading that came a moment before.
    if (announce && said.length) {
      said.push(fill("updatedAt", { time: clock() }));
      say(said.join(" "));
    }
  }

  function refresh(announce) {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(parts.dataset.liveParts, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          // Signed out elsewhere, or the account is gone: let the server decide what to show.
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          swap(html, announce);
        }
      })
      .catch(function () {
        say(words.failed || "");
      })
      .finally(function () {
        busy = false;
        if (again) {
          again = false;
          refresh(announce);
        }
      });
  }

  function connect() {
    var source = new EventSource(parts.dataset.liveEvents);
    source.addEventListener("open", function () {
      document.body.dataset.live = "connected";
      // Anything that happened while the stream was closed shows up now.
      refresh(false);
    });
    ["readings", "text", "account"].forEach(function (kind) {
      source.addEventListener(kind, function () { refresh(true); });
    });
    // Redis was away for a moment and events may have been lost: fetch whatever changed meanwhile.
    source.addEventListener("resync", function () { refresh(false); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // The server had no room for another stream: refresh on a slow timer instead.
        document.body.dataset.live = "polling";
        if (fallback === null) {
          fallback = window.setInterval(function () { refresh(true); }, 60000);
        }
      } else {
        document.body.dataset.live = "reconnecting";
      }
    });
  }

  window.setInterval(tick, 30000);
  refreshWhenABannerEnds();
  if (window.EventSource && window.fetch) {
    connect();
  }
})();
