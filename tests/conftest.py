"""Self-tests of the harness. `pytester` runs the plugin end to end in a child pytest."""

pytest_plugins = ["pytester"]
