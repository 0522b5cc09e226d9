// A form is sent once: while its first send is on the way, more clicks (or Enter) do nothing and
// the buttons are disabled. The server refuses a repeated send anyway (one-time form tokens); this
// spares the clerk the "already sent" detour. No inline script: loaded as a static file.
(function () {
  'use strict';

  var SUBMITS = 'button[type=submit], button:not([type]), input[type=submit], input[type=image]';

  function buttons(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll(SUBMITS));
    var outside = form.id ? Array.prototype.slice.call(
      document.querySelectorAll('[form="' + form.id + '"]')) : [];
    return inside.concat(outside.filter(function (b) { return b.matches(SUBMITS); }));
  }

  function release(form) {
    delete form.dataset.sending;
    buttons(form).forEach(function (b) { b.disabled = false; });
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) { return; }
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'post') { return; }
    if (form.target && form.target !== '_self') { return; }  // the page stays: nothing to wait for
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = '1';
    // Disabled after the browser has read the form: a disabled button's name=value (the kiosk's
    // level, "Save and add another") would be left out of what is sent.
    window.setTimeout(function () {
      buttons(form).forEach(function (b) { b.disabled = true; });
    }, 0);
    // An answer that is a download leaves the page in place: give the form back.
    window.setTimeout(function () { release(form); }, 15000);
  });

  // Back to a page kept in the browser's cache: its forms work again.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.forms, release);
    }
  });

  // "Back to the form" (the busy page): history brings the form back with what was typed.
  document.addEventListener('click', function (event) {
    var link = event.target.closest ? event.target.closest('[data-history-back]') : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();

// The browser's own "Please fill out this field." speaks the browser's language (often English
// on a center's PCs): an empty required field says it in the page's language instead.
(function () {
  'use strict';

  var script = document.currentScript;
  var message = script && script.getAttribute('data-required');
  if (!message) { return; }

  // Set for the bubble being shown only, cleared at once: a field filled by a script (select2
  // sends no native input event) must not stay invalid with the message.
  document.addEventListener('invalid', function (event) {
    var field = event.target;
    if (!field.validity || !field.validity.valueMissing) { return; }
    field.setCustomValidity(message);
    window.setTimeout(function () { field.setCustomValidity(''); }, 0);
  }, true);
})();
