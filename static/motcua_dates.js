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
  // Pickers write dates in the Vietnamese order, filters included (Flask-Admin's filters ask
  // for ISO); the server reads dd/mm/yyyy [HH:MM] and ISO alike (views/fields.py).
  var formats = {'YYYY-MM-DD': 'DD/MM/YYYY', 'YYYY-MM-DD HH:mm:ss': 'DD/MM/YYYY HH:mm'};
  // Registered before Flask-Admin's own ready handler, which creates the pickers.
  $(function () {
    var original = $.fn.daterangepicker;
    if (!original) { return; }
    $.fn.daterangepicker = function (options, callback) {
      var labels = {locale: {applyLabel: words.apply, cancelLabel: words.cancel,
                             fromLabel: words.from, toLabel: words.to}};
      var merged = $.extend(true, labels, options || {});
      if (formats[merged.format]) { merged.format = formats[merged.format]; }
      return original.call(this, merged, callback);
    };
  });
})();
