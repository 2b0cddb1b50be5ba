// The wait before another code may be texted counts down live; at zero it says so, once, to screen readers too.
// The words are the page's: "at 14:32" and the closing line come from the page, the seconds from the browser in the
// page's language ("in 45 seconds", "in 45 Sekunden", "dans 45 secondes", "dentro de 45 segundos").
(function () {
  "use strict";
  var countdowns = document.querySelectorAll("[data-countdown]");
  var relative = window.Intl && Intl.RelativeTimeFormat ?
    new Intl.RelativeTimeFormat(document.documentElement.lang || "en", {numeric: "always"}) : null;

  function left(until) {
    return Math.ceil((Date.parse(until) - Date.now()) / 1000);
  }

  function words(seconds, countdown) {
    if (seconds > 120 || !relative) {
      return seconds > 120 ? countdown.dataset.at : countdown.textContent;
    }
    return relative.format(seconds, "second");
  }

  function tick() {
    var waiting = false;
    countdowns.forEach(function (countdown) {
      var seconds = left(countdown.dataset.countdown);
      var line = countdown.parentNode;
      if (seconds > 0) {
        waiting = true;
        countdown.textContent = words(seconds, countdown);
      } else if (!line.dataset.done) {
        line.dataset.done = "true";
        line.setAttribute("role", "status");
        line.textContent = countdown.dataset.done;
      }
    });
    if (waiting) {
      window.setTimeout(tick, 1000);
    }
  }

  if (countdowns.length) {
    tick();
  }
})();
