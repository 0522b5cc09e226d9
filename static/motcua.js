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
