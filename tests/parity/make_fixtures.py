"""Train, save and transform every parity case with the installed PySpark.

    python tests/parity/make_fixtures.py [--out DIR] [--only NAME ...]

Writes DIR/spark-<major.minor>/<case>/ with
  model/          what PipelineModel.save() (or the stage's save()) wrote
  schema.json     the test DataFrame's schema (Spark's JSON)
  input.jsonl     test rows (with a ``_row`` id), as servelib receives them
  expected.jsonl  PySpark's transform() output rows (rows Spark skipped are absent)
  bad.jsonl       rows whose transform fails in Spark, with Spark's error (optional)
  output_schema.json  the transformed DataFrame's schema, with Spark's ML attribute metadata
Default DIR is tests/parity/fixtures (the committed golden copies).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.parity.cases import available, load_all  # noqa: E402


def encode(value):
    from pyspark.ml.linalg import DenseVector, SparseVector

    if isinstance(value, DenseVector):
        return {"$vector": "dense", "values": [encode(v) for v in value.toArray().tolist()]}
    if isinstance(value, SparseVector):
        return {
            "$vector": "sparse",
            "size": int(value.size),
            "indices": [int(i) for i in value.indices],
            "values": [encode(v) for v in value.values.tolist()],
        }
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}  # nan, inf, -inf: plain JSON has no spelling for them
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if hasattr(value, "asDict"):
        return {k: encode(v) for k, v in value.asDict().items()}
    return value


def write_rows(path: Path, rows) -> None:
    with path.open("w") as f:
        for row in rows:
            f.write(json.dumps({k: encode(v) for k, v in row.asDict().items()}) + "\n")


def spark_session():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
    # Python UDF workers (xgboost.spark's pandas UDFs) must run this venv's interpreter, not the
    # first `python3` on PATH, which lacks the venv's packages
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName("servelib-fixtures")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )


def make_case(spark, name, make, root: Path) -> None:
    from pyspark.ml import Estimator
    from pyspark.sql import functions as F

    case = make(spark)
    out = root / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    model = case.estimator.fit(case.train) if isinstance(case.estimator, Estimator) else case.estimator
    model.write().overwrite().save(str(out / "model"))
    test = case.test.coalesce(1).withColumn("_row", F.monotonically_increasing_id())
    (out / "schema.json").write_text(json.dumps(json.loads(test.schema.json()), indent=1) + "\n")
    write_rows(out / "input.jsonl", test.collect())
    scored = model.transform(test)
    write_rows(out / "expected.jsonl", scored.collect())
    # the output schema keeps Spark's ML attributes (column metadata) for attribute checks
    (out / "output_schema.json").write_text(json.dumps(json.loads(scored.schema.json()), indent=1) + "\n")
    if case.bad is not None:
        with (out / "bad.jsonl").open("w") as f:
            for row in case.bad.collect():
                one = spark.createDataFrame([row], case.bad.schema)
                try:
                    model.transform(one).collect()
                except Exception as exc:  # noqa: BLE001 - we record what Spark said
                    first = str(exc).strip().splitlines()[0][:300]
                    f.write(json.dumps({"row": {k: encode(v) for k, v in row.asDict().items()},
                                        "spark_error": first}) + "\n")
                else:
                    raise SystemExit(f"case {name}: Spark scored a row listed as bad: {row}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "fixtures"))
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    import pyspark

    cases = load_all()
    unknown = set(args.only or ()) - set(cases)
    if unknown:
        raise SystemExit(f"unknown cases: {sorted(unknown)}")
    version = ".".join(pyspark.__version__.split(".")[:2])
    root = Path(args.out) / f"spark-{version}"
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    line = tuple(int(p) for p in version.split("."))
    for name, make in sorted(cases.items()):
        if args.only and name not in args.only:
            continue
        if not available(name, line):  # e.g. TargetEncoder, new in Spark 4.0
            print(f"{root.name}/{name}: skipped, this Spark line lacks it", flush=True)
            continue
        make_case(spark, name, make, root)
        print(f"{root.name}/{name}", flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
