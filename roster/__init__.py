"""Settings, wiring, the `roster` command line and observability shared by every process."""
