// The wait before another code may be texted counts down live; at zero it says so, once, to screen readers too.
(function () {
  "use strict";
  var countdowns = document.querySelectorAll("[data-countdown]");

  function left(until) {
    return Math.ceil((Date.parse(until) - Date.now()) / 1000);
  }

  function words(seconds, clock) {
    if (seconds > 120) {
      return "at " + clock;
    }
    return "in " + seconds + (seconds === 1 ? " second" : " seconds");
  }

  function tick() {
    var waiting = false;
    countdowns.forEach(function (countdown) {
      var seconds = left(countdown.dataset.countdown);
      var line = countdown.parentNode;
      if (seconds > 0) {
        waiting = true;
        countdown.textContent = words(seconds, countdown.dataset.clock);
      } else if (!line.dataset.done) {
        line.dataset.done = "true";
        line.setAttribute("role", "status");
        line.textContent = "You can ask for a new code now.";
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
