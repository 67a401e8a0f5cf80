"""Reports: the only package that imports allure (DESIGN.md §3 rule 2)."""

from harness.reporting.allure_report import REQUIREMENT_URL, AllureReporter, findings_table

__all__ = ["REQUIREMENT_URL", "AllureReporter", "findings_table"]
