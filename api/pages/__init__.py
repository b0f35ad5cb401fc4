"""The staff workspace: server-rendered pages for people (sign-in, home, ledger, forms).

Modules here are thin: they read forms and query strings, call :mod:`geo`
(:mod:`geo.writes` for every change) and render templates from
``api/templates``. Programs use the OGC API routes in :mod:`api.routes`.
"""
