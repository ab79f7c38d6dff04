/* The decision page: the error summary, when there is one, takes the focus (GOV.UK's pattern). */
(function () {
  'use strict';
  var summary = document.getElementById('felsammanfattning');
  if (summary) { summary.focus(); }
})();
