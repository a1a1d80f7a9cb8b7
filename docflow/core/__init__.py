"""What every feature shares: enums, errors, audit log, settings, text folding, time."""
