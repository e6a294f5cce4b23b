"""The test kit's own tests: the plugin (loaded through its entry point) drives the pinned vendor
SDKs of `.venv-sdk` against the gateway it started; `pytester` runs inner sessions that attach to
that gateway."""

pytest_plugins = ["pytester"]
