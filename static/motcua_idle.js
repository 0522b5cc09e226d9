/* The idle timeout, announced: a banner a few minutes before the session ends (the server ends
   it after `idle` seconds without a request), with a button that pings the keep-alive endpoint.
   Tabs share the time of the last activity through localStorage, so one tab's keep-alive or
   page load keeps the others' banners quiet. After the end, the banner says that a form posted
   now is kept (views/idle.py) and asks to log in again. */
(function () {
  "use strict";
  var script = document.getElementById("idle-timeout");
  if (!script) { return; }
  var cfg = JSON.parse(script.getAttribute("data-idle"));
  var KEY = "motcua.lastActive";
  var last = Date.now();
  var banner, text, button;

  function stored() {
    try { return parseInt(window.localStorage.getItem(KEY) || "0", 10) || 0; }
    catch (e) { return 0; }
  }
  function touch() {
    last = Date.now();
    try { window.localStorage.setItem(KEY, String(last)); } catch (e) { /* private mode */ }
  }
  function build() {
    banner = document.createElement("div");
    banner.className = "alert alert-warning idle-banner";
    banner.id = "idle-banner";
    banner.setAttribute("role", "alert");
    banner.hidden = true;
    text = document.createElement("span");
    text.id = "idle-text";
    button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary btn-sm";
    button.id = "idle-stay";
    button.textContent = cfg.stay;
    button.addEventListener("click", stay);
    banner.appendChild(text);
    banner.appendChild(button);
    document.body.appendChild(banner);
  }
  function clock(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function expired() {
    text.textContent = cfg.expired;
    button.hidden = true;
    banner.className = "alert alert-danger idle-banner";
    show(true);
  }
  function show(on) {
    banner.hidden = !on;
    document.body.classList.toggle("idle-warning", on);  // room below the page for the banner
  }
  function tick() {
    var left = Math.max(last, stored()) + cfg.idle * 1000 - Date.now();
    if (left <= 0) {
      expired();
    } else if (left <= cfg.warn * 1000) {
      text.textContent = cfg.warning.replace("{time}", clock(left));
      button.hidden = false;
      banner.className = "alert alert-warning idle-banner";
      show(true);
    } else {
      show(false);
    }
  }
  function stay() {
    button.disabled = true;
    fetch(cfg.url, {method: "POST", credentials: "same-origin",
                    headers: {"X-CSRFToken": cfg.csrf, "Accept": "application/json"}})
      .then(function (response) {
        if (response.ok) { touch(); tick(); } else { expired(); }
      })
      .catch(function () { /* offline: try again with the next click */ })
      .then(function () { button.disabled = false; });
  }

  build();
  touch();
  window.setInterval(tick, 1000);
})();
