"""An example of a symir pass written outside symir (docs/your-own-pass.md)."""
