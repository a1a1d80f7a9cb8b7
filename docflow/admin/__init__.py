"""Administration pages (admin role): people, reference data, agency settings, audit log."""
