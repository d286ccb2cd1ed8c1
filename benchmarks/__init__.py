"""Evaluation and benchmark scripts for summitbot."""
