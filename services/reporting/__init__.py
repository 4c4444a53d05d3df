"""A report as people read it: Markdown, JSON, XLSX and PDF, with charts (matplotlib, a CJK font)."""
