/* The "Nytt dokument" form: @json-editor/json-editor draws the type's schema; the server checks and renders. */
(function () {
  'use strict';
  var sv = {
    error_notset: 'Fältet måste fyllas i', error_notempty: 'Fältet måste fyllas i',
    error_enum: 'Välj ett av de tillåtna värdena', error_const: 'Värdet är fast',
    error_type: 'Värdet ska vara av typen {{0}}', error_pattern: 'Värdet har fel form ({{0}})',
    error_minLength: 'Skriv minst {{0}} tecken', error_maxLength: 'Högst {{0}} tecken',
    error_minItems: 'Minst {{0}} poster', error_maxItems: 'Högst {{0}} poster',
    error_required: 'Fältet {{0}} saknas', error_additional_properties: 'Fältet {{0}} är inte tillåtet',
    error_date: 'Datum skrivs {{0}}', error_oneOf: 'Fyll i antingen namn, lista eller part',
    button_add: 'Lägg till', button_add_row_title: 'Lägg till {{0}}', button_delete_row_title: 'Ta bort {{0}}',
    button_delete_row_title_short: 'Ta bort', button_delete_last_title: 'Ta bort sista {{0}}',
    button_delete_all_title: 'Ta bort alla', button_move_down_title: 'Flytta ned', button_move_up_title: 'Flytta upp',
    button_copy_row_title: 'Kopiera {{0}}', button_copy_row_title_short: 'Kopiera', button_collapse: 'Fäll ihop',
    button_expand: 'Fäll ut', default_array_item_title: 'post', button_delete_node_warning: 'Ta bort posten?'
  };
  JSONEditor.defaults.languages.sv = Object.assign({}, JSONEditor.defaults.languages.en, sv);
  JSONEditor.defaults.language = 'sv';

  var schema = JSON.parse(document.getElementById('schema').textContent);
  var editor = new JSONEditor(document.getElementById('formular'), {
    schema: schema, theme: 'html', iconlib: null, disable_edit_json: true, disable_properties: true,
    disable_collapse: true, disable_array_delete_all_rows: true, disable_array_delete_last_row: true,
    prompt_before_delete: false, show_opt_in: true, remove_empty_properties: true, show_errors: 'change'
  });
  var messages = document.getElementById('meddelanden');
  var buttons = [document.getElementById('forhandsgranska'), document.getElementById('registrera')];

  function say(kind, heading, items) {
    messages.innerHTML = '';
    var box = document.createElement('div');
    box.className = kind;
    box.setAttribute('role', kind === 'fel' ? 'alert' : 'status');
    var p = document.createElement('p');
    p.textContent = heading;
    box.appendChild(p);
    if (items && items.length) {
      var ul = document.createElement('ul');
      items.forEach(function (text) { var li = document.createElement('li'); li.textContent = text; ul.appendChild(li); });
      box.appendChild(ul);
    }
    messages.appendChild(box);
    messages.focus();
  }

  function problemText(p) {
    var where = [];
    if (p.line) { where.push('rad ' + p.line); }
    if (p.field) { where.push('fält ' + p.field); }
    return (where.length ? where.join(', ') + ': ' : '') + p.sv + (p.fix_sv ? ' Åtgärd: ' + p.fix_sv : '');
  }

  function send(url) {
    buttons.forEach(function (b) { b.disabled = true; });
    document.getElementById('dokumentformular').setAttribute('aria-busy', 'true');
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(editor.getValue())
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      document.getElementById('dokumentformular').removeAttribute('aria-busy');
    });
  }

  function refused(resp) {
    return resp.json().then(function (body) {
      say('fel', 'Dokumentet kan inte användas ännu. Rätta detta och försök igen:', (body.problem || []).map(problemText));
    }, function () { say('fel', 'Servern svarade med fel ' + resp.status + '. Försök igen.'); });
  }

  document.getElementById('forhandsgranska').addEventListener('click', function () {
    say('info', 'Förhandsgranskningen skapas …');
    send('/api/utkast').then(function (resp) {
      if (!resp.ok) { return refused(resp); }
      return resp.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        document.getElementById('forhandsvisning').src = url;
        document.getElementById('utkastlank').href = url;
        document.getElementById('forhandsyta').hidden = false;
        say('klart', 'Förhandsgranskningen är klar och visas nedanför formuläret.');
      });
    }).catch(function () { say('fel', 'Kunde inte nå servern. Försök igen.'); });
  });

  document.getElementById('registrera').addEventListener('click', function () {
    say('info', 'Dokumentet kontrolleras och skickas in …');
    send('/api/dokument').then(function (resp) {
      if (resp.status !== 202) { return refused(resp); }
      return resp.json().then(function (body) { window.location.href = '/inskickat/' + body.id; });
    }).catch(function () { say('fel', 'Kunde inte nå servern. Försök igen.'); });
  });
})();
