"""User-facing tools: the `hacheck` command, its reports and trace files."""
