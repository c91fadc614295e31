// Starts Swagger UI on /docs (an external file: the Content-Security-Policy allows no inline script).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
