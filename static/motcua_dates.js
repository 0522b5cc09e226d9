/* Date pickers (filters, date fields) in the page's language. Flask-Admin's daterangepicker
   takes its month and weekday names from moment's locale and its button labels from options;
   the translated words come from this script tag's data-words (rendered by the server). */
(function () {
  var script = document.currentScript;
  var words = JSON.parse(script.getAttribute('data-words'));
  if (window.moment) {
    moment.locale(words.locale, {
      monthsShort: words.months, weekdaysMin: words.weekdays, week: {dow: 1, doy: 4}
    });
  }
  // Registered before Flask-Admin's own ready handler, which creates the pickers.
  $(function () {
    var original = $.fn.daterangepicker;
    if (!original) { return; }
    $.fn.daterangepicker = function (options, callback) {
      var labels = {locale: {applyLabel: words.apply, cancelLabel: words.cancel,
                             fromLabel: words.from, toLabel: words.to}};
      return original.call(this, $.extend(true, labels, options || {}), callback);
    };
  });
})();
