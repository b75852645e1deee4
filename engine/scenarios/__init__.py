"""Scenario files: process tests run on a fresh desk with a virtual clock, their kinds of
steps, and the steps that check the assessment.

Imports every room below it.
"""
