# The projects below are run by tests/test_trace_fixtures.py in their own pytest processes.
collect_ignore = ["buggy", "correct"]
