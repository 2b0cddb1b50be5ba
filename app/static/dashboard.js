// The live dashboard: when the server's event stream says a tracker synced or a text moved on,
// fetch the devices-and-texts part of the page again and swap it in, without a reload.
(function () {
  "use strict";
  var parts = document.getElementById("live-parts");
  var status = document.getElementById("live-status");
  if (!parts || !window.EventSource || !window.fetch) {
    return;
  }
  var busy = false;
  var again = false;
  var fallback = null;

  function say(words) {
    if (status) {
      status.textContent = words;
    }
  }

  function clock() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
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
          parts.innerHTML = html;
          parts.dataset.refreshedAt = String(Date.now());
          if (announce) {
            say("Updated at " + clock() + ".");
          }
        }
      })
      .catch(function () {
        say("Could not update just now; trying again shortly.");
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
    source.addEventListener("readings", function () { refresh(true); });
    source.addEventListener("text", function () { refresh(true); });
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

  connect();
})();
