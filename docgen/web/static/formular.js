/* The new-document form, made easier with JavaScript (it works without): the error summary takes the focus,
   and a recipient shows only the fields of the kind chosen (Person, Sändlista or Part). */
(function () {
  'use strict';
  var summary = document.getElementById('felsammanfattning');
  if (summary) { summary.focus(); }
  function show(box) {
    var chosen = box.querySelector('input[type=radio][name$=".slag"]:checked');
    box.querySelectorAll(':scope > .slag-del').forEach(function (part) {
      part.hidden = !!chosen && part.dataset.del !== chosen.value;
    });
  }
  document.querySelectorAll('fieldset.mottagare').forEach(function (box) {
    show(box);
    box.querySelectorAll('input[type=radio][name$=".slag"]').forEach(function (r) {
      r.addEventListener('change', function () { show(box); });
    });
  });
})();
