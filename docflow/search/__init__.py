"""Full-text search (placeholder)."""
