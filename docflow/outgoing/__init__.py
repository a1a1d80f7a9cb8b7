"""Outgoing correspondence: drafts and versions, approval ladders, issuing number and symbol, dispatch."""
