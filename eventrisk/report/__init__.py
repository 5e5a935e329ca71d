"""Printed assessments and borough packs (reportlab)."""
