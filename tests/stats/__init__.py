"""Statistics: the data layer (service, counters, API) and the pages."""
