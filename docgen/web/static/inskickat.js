/* The status page of a submitted document: ask the API until the document is registered, refused, or waits for
   (or was sent back by) its decision maker. */
(function () {
  'use strict';
  var box = document.getElementById('status');
  function ask() {
    fetch('/api/v1/dokument/' + box.dataset.id, {credentials: 'same-origin'})
      .then(function (resp) { return resp.json(); })
      .then(function (body) {
        if (['registrerad', 'fel', 'väntar på beslut', 'återvisat'].indexOf(body.status) >= 0) { window.location.reload(); }
        else { window.setTimeout(ask, 1000); }
      }, function () { window.setTimeout(ask, 3000); });
  }
  window.setTimeout(ask, 1000);
})();
