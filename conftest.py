"""Top-level conftest: nothing here on purpose. The harness plugin registers through its pytest11 entry point
(`ocpp_harness`), so `testcases/` and a lab's own suites use it the same way."""
