// Renders the OpenAPI document with Swagger UI (wwwroot/lib/swagger-ui, from npm). It lives in a file, not in
// the page, because the site's Content-Security-Policy allows scripts from 'self' only.
(() => {
    const root = document.getElementById('api-reference');
    if (!root || typeof SwaggerUIBundle !== 'function') {
        return;
    }
    SwaggerUIBundle({
        url: root.dataset.documentUrl,
        domNode: root,
        presets: [SwaggerUIBundle.presets.apis],
        layout: 'BaseLayout',
        deepLinking: true,
        displayRequestDuration: true,
        defaultModelsExpandDepth: 0,
        // The default posts the document to validator.swagger.io; nothing leaves this site.
        validatorUrl: null,
        // Keys stay in the page's memory, never in localStorage.
        persistAuthorization: false,
    });
})();
