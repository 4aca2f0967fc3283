"""The end of every benchmark: its checks, one line each, and the exit code."""


def report_checks(checks):
    """Print ``checks`` (``(name, ok, detail)``); return 1 when any failed, else 0."""
    print("\nChecks (any failure exits 1):")
    for name, ok, detail in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {name}{': ' + str(detail) if detail else ''}")
    failed = [name for name, ok, _d in checks if not ok]
    print(f"\n{'FAILED: ' + str(len(failed)) + ' check(s)' if failed else 'All checks passed.'}")
    return 1 if failed else 0
