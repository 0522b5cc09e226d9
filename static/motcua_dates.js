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
      // alone: the calendar follows it once it is a whole date (keyboard or paste), and what was
      // typed is taken as the picker's value, so that closing the picker (Tab, Enter, a click
      // elsewhere) does not write its own dates over it — a date-time field opened empty holds
      // "now" (Flask-Admin's form.js), which Tab or Enter used to put in place of "01/06/2019".
      this.off('keyup.daterangepicker')
        .on('input.motcua change.motcua', function () { followText(this); })
        .off('keydown.daterangepicker').on('keydown.daterangepicker', function (event) {
          var picker = $(this).data('daterangepicker');
          if (!picker) { return; }
          followText(this);
          // Escape closes the picker (keeping what was typed), as it closes a menu.
          if (event.key === 'Escape' && picker.isShowing) {
            picker.hide();
            event.preventDefault();
            return;
          }
          picker.keydown(event);
        });
      return result;
    };
  });

  // The moment formats a field's text is read with: the picker's, and for a date and time
  // also the date alone (dd/mm/yyyy, the start of that day; the server reads it the same way).
  function formatsOf(picker) {
    var day = picker.format.split(' ')[0];
    return day === picker.format ? [picker.format] : [picker.format, day];
  }

  function read(picker, text, end) {
    var formats = formatsOf(picker);
    for (var i = 0; i < formats.length; i++) {
      var date = moment($.trim(text), formats[i], true);
      if (date.isValid()) {
        if (!picker.timePicker) { return end ? date.endOf('day') : date.startOf('day'); }
        return end && i > 0 ? date.endOf('day').startOf('minute') : date;
      }
    }
    return null;
  }

  // The picker's dates from the field's text when it is a whole date (or range); whatever it
  // is, the text stays as typed.
  function followText(input) {
    var picker = $(input).data('daterangepicker');
    if (!picker) { return; }
    var text = $(input).val();
    var parts = picker.singleDatePicker ? [text] : text.split(picker.separator);
    var start = parts.length <= 2 ? read(picker, parts[0], false) : null;
    var end = start && (parts.length === 2 ? read(picker, parts[1], true)
                                            : read(picker, parts[0], true));
    if (picker.singleDatePicker && picker.timePicker && start) { end = start.clone(); }
    if (start && end && !end.isBefore(start)) {
      picker.startDate = start;
      picker.endDate = end;
      picker.updateView();
      picker.updateCalendars();
    }
    picker.oldStartDate = picker.startDate.clone();
    picker.oldEndDate = picker.endDate.clone();
  }
})();
