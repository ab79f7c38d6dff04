/* /docs: Swagger UI over /openapi.json, from this server's own files (no CDN, no validator service). */
window.addEventListener('load', function () {
  'use strict';
  window.ui = SwaggerUIBundle({
    url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'
  });
});
