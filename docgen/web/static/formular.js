/* The new-document form, made easier with JavaScript (it works without): the error summary takes the focus,
   a recipient shows only the fields of the kind chosen (Person, Sändlista or Part), and a free text gets a
   small toolbar and a live preview drawn by the server with the documents' own Markdown parser. */
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

  var form = document.getElementById('dokumentformular');
  var token = form ? form.querySelector('input[name=csrf]').value : '';
  var TOOLS = [
    ['Fetstil', '**', '**', 'fet text'], ['Kursiv', '*', '*', 'kursiv text'],
    ['Punktlista', '\n- ', '', 'punkt'], ['Numrerad lista', '\n1. ', '', 'punkt'],
    ['Länk', '[', '](https://)', 'länktext']
  ];
  function wrap(area, before, after, sample) {
    var s = area.selectionStart, e = area.selectionEnd, text = area.value.slice(s, e) || sample;
    area.setRangeText(before + text + after, s, e, 'end');
    area.focus();
    area.dispatchEvent(new Event('input'));
  }
  document.querySelectorAll('textarea[data-markdown]').forEach(function (area) {
    var label = document.querySelector('label[for="' + area.id + '"]');
    var name = label ? label.textContent.replace(' (valfritt)', '') : 'texten';
    var bar = document.createElement('div');
    bar.className = 'verktyg';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', 'Formatera ' + name);
    bar.setAttribute('aria-controls', area.id);
    TOOLS.forEach(function (tool, i) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'liten';
      b.textContent = tool[0];
      b.tabIndex = i === 0 ? 0 : -1;  // one Tab stop per toolbar; the arrow keys move within it
      b.addEventListener('click', function () { wrap(area, tool[1], tool[2], tool[3]); });
      bar.appendChild(b);
    });
    bar.addEventListener('keydown', function (ev) {
      var buttons = Array.prototype.slice.call(bar.querySelectorAll('button'));
      var at = buttons.indexOf(document.activeElement), to = null;
      if (ev.key === 'ArrowRight') { to = (at + 1) % buttons.length; }
      else if (ev.key === 'ArrowLeft') { to = (at - 1 + buttons.length) % buttons.length; }
      else if (ev.key === 'Home') { to = 0; }
      else if (ev.key === 'End') { to = buttons.length - 1; }
      if (to === null || at < 0) { return; }
      ev.preventDefault();
      buttons.forEach(function (b, i) { b.tabIndex = i === to ? 0 : -1; });
      buttons[to].focus();
    });
    area.parentNode.insertBefore(bar, area);
    var box = document.createElement('div');
    box.className = 'textvisning';
    box.id = area.id + '-visning';
    var head = document.createElement('p');
    head.className = 'textvisning-rubrik';
    head.id = area.id + '-visning-rubrik';
    head.textContent = 'Så här blir ' + name.toLowerCase() + ' i dokumentet:';
    var body = document.createElement('div');
    body.setAttribute('role', 'region');
    body.setAttribute('aria-labelledby', head.id);
    box.appendChild(head);
    box.appendChild(body);
    area.parentNode.insertBefore(box, area.nextSibling);
    var timer = null;
    function refresh() {
      if (!area.value.trim()) { box.hidden = true; return; }
      var data = new URLSearchParams();
      data.set('csrf', token);
      data.set('text', area.value);
      fetch('/ny-text', {method: 'POST', credentials: 'same-origin', body: data})
        .then(function (r) { return r.ok ? r.text() : ''; })
        .then(function (html) { body.innerHTML = html; box.hidden = !html; }, function () {});
    }
    area.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
    refresh();
  });
})();
