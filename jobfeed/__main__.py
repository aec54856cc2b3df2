"""`python -m jobfeed` = the `jobfeed` command."""

from jobfeed.cli import main

main()
