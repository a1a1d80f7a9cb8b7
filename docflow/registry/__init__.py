"""Registers and numbering, document types, external organisations, (later) documents and access."""
