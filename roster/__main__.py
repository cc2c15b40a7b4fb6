"""`python -m roster`: the same command line as `roster`."""

from roster.cli import main

main()
