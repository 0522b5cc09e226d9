/* What would otherwise be inline onclick attributes, which the Content-Security-Policy refuses
   (views/headers.py): delete confirmations, batch actions, new inline rows (numbered: the next
   STT), the print button.
   Also: links with href="javascript:void(0)" (Flask-Admin's placeholders for "no link") do not
   navigate, since running a javascript: URL is refused too. Plain JavaScript, no jQuery. */
(function () {
  'use strict';
  var SELECTOR = '[data-confirm], [data-action], [data-add-inline], [data-print], ' +
                 'a[href^="javascript:"]';
  document.addEventListener('click', function (event) {
    var el = event.target.closest ? event.target.closest(SELECTOR) : null;
    if (!el) { return; }
    if (el.matches('a[href^="javascript:"]')) { event.preventDefault(); }
    if (el.hasAttribute('data-confirm')) {
      if (!window.confirm(el.getAttribute('data-confirm'))) { event.preventDefault(); }
    } else if (el.hasAttribute('data-action')) {
      event.preventDefault();
      window.modelActions.execute(el.getAttribute('data-action'));
    } else if (el.hasAttribute('data-add-inline')) {
      event.preventDefault();
      window.faForm.addInlineField(el, el.getAttribute('data-add-inline'));
      numberNewRow(document.getElementById(el.getAttribute('data-add-inline')));
    } else if (el.hasAttribute('data-print')) {
      window.print();
    }
  }, true);  // capturing: some of Flask-Admin's handlers stop the click from bubbling up

  // A new inline row's numbered inputs (data-next-number: the STT of a procedure's documents)
  // get the next number after the highest of the rows above, not the same default each time.
  function numberNewRow(field) {
    var list = field ? field.querySelector(':scope > .inline-field-list') : null;
    var row = list ? list.lastElementChild : null;
    if (!row) { return; }
    var kind = function (input) { return input.name.replace(/^.*-/, ''); };
    Array.prototype.forEach.call(row.querySelectorAll('input[data-next-number]'), function (input) {
      var highest = 0;
      Array.prototype.forEach.call(list.querySelectorAll('input[data-next-number]'), function (other) {
        var n = parseInt(other.value, 10);
        if (other !== input && kind(other) === kind(input) && n > highest) { highest = n; }
      });
      input.value = String(highest + 1);
    });
  }

  // The receipt reached by "Tiếp nhận và in phiếu" opens the print dialog by itself.
  if (document.body && document.body.hasAttribute('data-autoprint')) {
    window.addEventListener('load', function () { window.print(); });
  }
})();

// templates/admin/file_picker.html: the names of the files chosen, in place of the browser's own
// words ("No file chosen" in the browser's language).
(function () {
  'use strict';
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('input.vn-file-input')) { return; }
    var shown = document.getElementById(input.id + '-chosen');
    if (!shown) { return; }
    var files = input.files || [];
    if (files.length === 0) {
      shown.textContent = shown.getAttribute('data-none');
    } else if (files.length === 1) {
      shown.textContent = files[0].name;
    } else {
      shown.textContent = shown.getAttribute('data-many').replace('{n}', String(files.length));
    }
  });
})();

// templates/dossiers/details.html: a step refused by the server (a day off as the new due date,
// a stale page) comes back with an error, and its form is shown again with what was typed
// (reason, new date, items) instead of empty. Kept in this tab's sessionStorage only (no
// reason in a URL or a cookie), for the next page alone.
(function () {
  'use strict';
  var KEY = 'motcua-transition';
  var FIELDS = ['reason', 'requested_items', 'new_due_date', 'postal_tracking_no'];
  var kept = null;
  try {
    kept = JSON.parse(window.sessionStorage.getItem(KEY) || 'null');
    window.sessionStorage.removeItem(KEY);
  } catch (e) { kept = null; }
  // After the page's own scripts (the date pickers fill their field when they start).
  window.addEventListener('load', function () {
    var again = kept && document.querySelector('.alert-danger') &&
                document.getElementById('form-' + kept.action);
    if (!again || !again.elements.id || again.elements.id.value !== kept.id) { return; }
    FIELDS.forEach(function (name) {
      var field = again.elements[name];
      if (field && kept.values[name]) {
        field.value = kept.values[name];
        field.dispatchEvent(new Event('change', {bubbles: true}));  // the picker follows it
      }
    });
  });
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var formId = form.getAttribute('id') || '';  // (form.id is its field named "id")
    if (formId.indexOf('form-') !== 0 || !form.elements.action) { return; }
    var values = {};
    FIELDS.forEach(function (name) { if (form.elements[name]) { values[name] = form.elements[name].value; } });
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(
        {action: form.elements.action.value, id: form.elements.id.value, values: values}));
    } catch (e) { /* storage full or off: the form is simply empty again */ }
  });
})();
