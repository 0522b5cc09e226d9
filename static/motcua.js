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
