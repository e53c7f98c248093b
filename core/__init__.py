"""Shared infrastructure with no domain in it, below every app: the error services raise, the API's
base classes and exception handler, filters, dates and free-text cleaning, request limits, CSP,
stored files, the COPY and .xlsx writers, look-ups by key (docs/architecture.md)."""
