"""The benchmarks run (quick mode) and check their own correctness; speed is not asserted here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgserver import PostgresServer

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(("module", "expected"), [
    ("benchmarks.ingest", r"ratio: \d+\.\d\d, .*\n.*cache off, as filmclub runs it: \d+\.\d\d"
                          r".*\n.*every event of every burst found in the store"),
    ("benchmarks.ingest_breakdown",
     r"ratio to discord.py alone \(message cache off\):\n(  .*: \d+\.\d\d\n){4}"),
    ("benchmarks.latency", r"p99 \d+\.\d ms against the goal.*\n.*committed exactly once"),
    ("benchmarks.export", r"export: 5,000 comments; slowest against its goal: \w+ at \d+\.\d\dx"),
    ("benchmarks.charts", r"charts: 5,000 comments; /stats' picture .* \d+\.\d+ s against"
                          r"(.|\n)*start-up `filmclub --help`: before .* after \d+ ms"),
])
def test_benchmark_runs_quick_and_reports(module: str, expected: str) -> None:
    """`python -m <benchmark> --quick` exits 0 and prints its figures and ratio."""
    done = subprocess.run([sys.executable, "-m", module, "--quick"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(expected, done.stdout), done.stdout


def test_shards_benchmark_runs_quick_and_reports(postgres_server: PostgresServer) -> None:
    """`python -m benchmarks.shards --quick` on the tests' PostgreSQL: exits 0, prints both
    sides' rates and their ratio, and found every event stored once (issue 15)."""
    url = postgres_server.url()
    done = subprocess.run([sys.executable, "-m", "benchmarks.shards", "--quick"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT),
                               "FILMCLUB_TEST_POSTGRES": url},
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"one process, both shards: [\d,]+ events/s stored\n"
                     r"  two processes, a shard each: [\d,]+ events/s stored\n"
                     r"  ratio: \d+\.\d\d", done.stdout), done.stdout
    assert "every event of every burst found in the database exactly once" in done.stdout


def test_postgres_ingest_benchmark_runs_quick(postgres_server: PostgresServer) -> None:
    """`python -m benchmarks.ingest_postgres --quick` on the tests' server: both stores hold
    the burst, and the ratio is printed (issue 15)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.ingest_postgres", "--quick",
                           "--postgres", postgres_server.url()], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"ratio PostgreSQL / SQLite: \d+\.\d\d, .*goal >= 0\.50\)\n"
                     r"(.|\n)*every event of every burst found in its store exactly once",
                     done.stdout), done.stdout
