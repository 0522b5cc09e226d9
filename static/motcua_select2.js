/* select2 pickers (AJAX pickers, filter choices) in the page's language: Flask-Admin ships
   select2 3.5 without its locale files, so its messages ("No matches found", "Loading more
   results…", the screen-reader announcements) would stay English. The translated words come
   from this script tag's data-* attributes (rendered by the server); {n} stands for a number. */
(function () {
  var words = document.currentScript.dataset;
  var original = $.fn.select2;
  if (!original) { return; }
  function count(text, n) { return text.replace('{n}', n); }
  $.extend(original.defaults, {
    formatNoMatches: function () { return words.noMatches; },
    formatInputTooShort: function (input, min) { return count(words.tooShort, min - input.length); },
    formatInputTooLong: function (input, max) { return count(words.tooLong, input.length - max); },
    formatSelectionTooBig: function (limit) { return count(words.tooBig, limit); },
    formatLoadMore: function () { return words.loadMore; },
    formatSearching: function () { return words.searching; },
    formatAjaxError: function () { return words.ajaxError; },
    formatMatches: function (n) { return n === 1 ? words.oneMatch : count(words.matches, n); }
  });
  // Flask-Admin's tag inputs (filters "in list") bring their own English hint.
  $.fn.select2 = function (options) {
    if (options && typeof options === 'object' && options.tags !== undefined) {
      options = $.extend({}, options, {formatNoMatches: function () { return words.tags; }});
      return original.call(this, options);
    }
    return original.apply(this, arguments);
  };
  $.extend($.fn.select2, original);  // defaults, ajaxDefaults, locales stay reachable
})();
