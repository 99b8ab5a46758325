"""Benchmarks: each prints its figures and the ratio that the speed issue sets a goal for."""
