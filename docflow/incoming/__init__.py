"""Incoming correspondence: register → present → assign → handle → complete, tracking."""
