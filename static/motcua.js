/* What would otherwise be inline onclick attributes, which the Content-Security-Policy refuses
   (views/headers.py): delete confirmations, batch actions, new inline rows, the print button.
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
    } else if (el.hasAttribute('data-print')) {
      window.print();
    }
  }, true);  // capturing: some of Flask-Admin's handlers stop the click from bubbling up

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
