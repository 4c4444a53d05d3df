"""The web door: a FastAPI application (JSON API under /api/v1, sign-in, the hall's pages) over the same
use cases as the CLI. `web.app.create_app(settings)` makes it; `onevisit web` serves it."""
