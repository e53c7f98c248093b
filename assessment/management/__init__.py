"""Management commands of the assessment (assess)."""
