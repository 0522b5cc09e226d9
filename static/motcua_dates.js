/* Date pickers (filters, date fields) in the page's language. Flask-Admin's daterangepicker
   takes its month and weekday names from moment's locale and its button labels from options;
   the translated words come from this script tag's data-words (rendered by the server).
   Filters show dates as dd/mm/yyyy [HH:MM] and a range with a dash (Flask-Admin: ISO and
   " to "); the server reads both (views/fields.py, VnFilterConverter). */
(function () {
  var script = document.currentScript;
  var words = JSON.parse(script.getAttribute('data-words'));
  var FILTER_FORMATS = {'YYYY-MM-DD': 'DD/MM/YYYY', 'YYYY-MM-DD HH:mm:ss': 'DD/MM/YYYY HH:mm'};
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
      options = $.extend(true, labels, options || {});
      if (this.hasClass('filter-val') && FILTER_FORMATS[options.format]) {
        options.format = FILTER_FORMATS[options.format];
        options.separator = ' – ';
      }
      var result = original.call(this, options, callback);
      // The picker re-reads the field on every key and writes its reading back: typing
      // "15/12/2026" gave "01/11/20265/12/2026" after the first digit. The typed text is left
      // alone; once it is a whole date, the calendar follows it.
      this.off('keyup.daterangepicker').on('change.motcua', function () {
        var picker = $(this).data('daterangepicker');
        if (!picker) { return; }
        var text = $(this).val().split(picker.separator)[0];
        if (moment(text, picker.format, true).isValid()) { picker.updateFromControl(); }
      });
      return result;
    };
  });
})();
