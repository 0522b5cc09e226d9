/* The queue's public devices (views/queue.py). The ticket page opens the browser's print
   dialog (a kiosk browser started with --kiosk-printing prints at once); the hall display polls
   its JSON every second and redraws, and chimes on a new call once someone has tapped it
   (browsers allow sound only after a user gesture). No inline script: CSP-safe. */
(function () {
  "use strict";
  if (document.getElementById("queue-ticket")) {
    window.addEventListener("load", function () { window.print(); });
    return;
  }
  var display = document.getElementById("queue-display");
  if (!display) { return; }
  var source = display.getAttribute("data-source");
  var counterLabel = display.getAttribute("data-counter-label");
  var audio = null;
  var lastKey = null;

  document.getElementById("queue-sound").addEventListener("click", function (event) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) { audio = new Context(); }
    event.target.textContent = display.getAttribute("data-sound-on");
  });

  function chime() {
    if (!audio) { return; }
    [0, 0.35].forEach(function (delay, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = i ? 660 : 880;
      gain.gain.setValueAtTime(0.3, audio.currentTime + delay);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + delay + 0.3);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(audio.currentTime + delay); osc.stop(audio.currentTime + delay + 0.3);
    });
  }

  function item(number, text) {
    var li = document.createElement("li");
    var strong = document.createElement("strong");
    strong.textContent = number;
    li.appendChild(strong);
    var span = document.createElement("span");
    span.textContent = text;
    li.appendChild(span);
    return li;
  }

  function draw(data) {
    var counters = document.getElementById("queue-counters");
    var last = document.getElementById("queue-last");
    counters.replaceChildren.apply(counters, data.counters.filter(function (c) {
      return c.number;
    }).map(function (c) {
      var li = item(c.number, "→ " + counterLabel + " " + c.counter);
      li.setAttribute("data-counter", c.counter);
      return li;
    }));
    last.replaceChildren.apply(last, data.last_calls.map(function (c) {
      return item(c.number, counterLabel + " " + c.counter + " · " + c.at);
    }));
    var top = data.last_calls[0];
    var key = top ? top.number + "@" + top.counter + "@" + top.at : "";
    if (lastKey !== null && key && key !== lastKey) { chime(); }
    lastKey = key;
  }

  function poll() {
    fetch(source, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (r.status === 403) { window.location.reload(); }
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (data) {
      document.getElementById("queue-stale").hidden = true;
      draw(data);
    }).catch(function () {
      document.getElementById("queue-stale").hidden = false;
    }).then(function () { window.setTimeout(poll, 1000); });
  }
  poll();
}());
