"""Request and response bodies, by resource, shared by the HTTP API and the command line (no HTTP here)."""
