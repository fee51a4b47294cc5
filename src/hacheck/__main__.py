"""`python -m hacheck`: the `hacheck` command."""

from hacheck.tools.cli import main

main()
