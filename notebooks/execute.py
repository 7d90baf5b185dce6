"""Executes the notebooks in this folder without saving their outputs; exits 1 on the first error.

Usage: python notebooks/execute.py  (run directories come from SOVSIM_RUN, SOVSIM_RUN_A, SOVSIM_RUN_B;
a merged sweep from SOVSIM_SWEEP)
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

here = Path(__file__).parent
for path in sorted(here.glob("*.ipynb")):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(here)}}).execute()
    print(f"ok: {path.name}")
sys.exit(0)
