"""The FastAPI web app: pages and JSON for managers (see the web issue)."""
