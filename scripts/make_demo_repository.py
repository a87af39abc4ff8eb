"""Build the bundled demo model repository from the committed parity fixtures.

    python scripts/make_demo_repository.py OUT_DIR [--spark 4.3]

OUT_DIR/
  demo/model.json        aliases: production -> 1
  demo/1/                the demo LR pipeline (fraud-like toy data) + serving.json
  gbt/1/                 the GBT pipeline (Imputer, StringIndexer, OneHotEncoder, 100 trees)
                         + serving.json

Used by the server demo and the service tests; the models are what PySpark saved
(tests/parity/make_fixtures.py), copied unchanged.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "parity" / "fixtures"

SPECS = {
    "demo": ("demo_lr_pipeline", {
        "outputs": ["prediction", "probability"],
        "inputs": {"amount": "double", "age": "double", "city": "string"},
        "record": {"owner": "servelib demo",
                   "training_data": "tests/parity/cases (demo_lr_pipeline)",
                   "notes": "fraud-like toy data; LogisticRegression"},
    }),
    "gbt": ("tree_gbt_onehot_pipeline", {
        "outputs": ["prediction", "probability"],
        "inputs": {"x0": "double", "x1": "double", "x2": "double", "color": "string"},
        "record": {"owner": "servelib demo",
                   "training_data": "tests/parity/cases (tree_gbt_onehot_pipeline)",
                   "notes": "GBTClassifier, 100 trees of depth 5"},
    }),
}
MODEL_FILES = {"demo": {"aliases": {"production": "1"}}}


def build(out: Path, spark: str = "4.3") -> Path:
    """Write the repository under ``out`` (replacing the models it holds); returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, (case, spec) in SPECS.items():
        source = FIXTURES / f"spark-{spark}" / case / "model"
        if not source.is_dir():
            raise SystemExit(f"missing fixture {source}: run tests/parity/make_fixtures.py "
                             f"--only {case}")
        target = out / name / "1"
        shutil.rmtree(out / name, ignore_errors=True)
        shutil.copytree(source, target)
        (target / "serving.json").write_text(json.dumps(spec, indent=1) + "\n")
        if name in MODEL_FILES:
            (out / name / "model.json").write_text(json.dumps(MODEL_FILES[name], indent=1) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--spark", default="4.3", choices=("3.5", "4.3"))
    args = parser.parse_args()
    print(build(args.out, args.spark))


if __name__ == "__main__":
    main()
