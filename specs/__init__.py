"""The spec files shipped with hacheck (TOML); this file only makes them installable."""
