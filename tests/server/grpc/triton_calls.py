"""Run Open Inference Protocol calls with the real tritonclient, in its own process.

tritonclient registers the same ``inference.*`` protobuf names as servelib's OIP module, and
protobuf's default descriptor pool refuses a second definition, so the two cannot share a Python
process. The test sends a JSON list of calls on stdin and reads the answers on stdout:

    {"op": "server"} | {"op": "metadata", "model": M} | {"op": "ready", "model": M}
    {"op": "infer", "model": M, "rows": [...], "outputs": [...]?, "inputs": [...]?}
"""

import json
import sys

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

NUMPY = {"FP64": np.float64, "FP32": np.float32, "INT64": np.int64, "INT32": np.int32,
         "BOOL": np.bool_, "BYTES": np.object_}


def tensors(client, call):
    """One tensor per input ModelMetadata declares (or the call's explicit inputs)."""
    specs = call.get("inputs") or client.get_model_metadata(call["model"], as_json=True)["inputs"]
    out = []
    for spec in specs:
        values = spec.get("values") or [row[spec["name"]] for row in call["rows"]]
        data = np.array([v.encode() if isinstance(v, str) else v for v in values],
                        dtype=NUMPY[spec["datatype"]])
        tensor = triton.InferInput(spec["name"], list(data.shape), spec["datatype"])
        tensor.set_data_from_numpy(data)
        out.append(tensor)
    return out


def run(client, call):
    op = call["op"]
    if op == "server":
        return {"live": client.is_server_live(), "ready": client.is_server_ready(),
                "metadata": client.get_server_metadata(as_json=True)}
    if op == "metadata":
        return client.get_model_metadata(call["model"], as_json=True)
    if op == "ready":
        return client.is_model_ready(call["model"])
    outputs = [triton.InferRequestedOutput(n) for n in call.get("outputs", [])] or None
    result = client.infer(call["model"], tensors(client, call), outputs=outputs)
    names = [o["name"] for o in result.get_response(as_json=True)["outputs"]]
    return {n: [v.decode() if isinstance(v, bytes) else v for v in
                result.as_numpy(n).tolist()] for n in names}


def main():
    address, calls = sys.argv[1], json.load(sys.stdin)
    client = triton.InferenceServerClient(address)
    answers = []
    for call in calls:
        try:
            answers.append({"ok": run(client, call)})
        except InferenceServerException as exc:
            answers.append({"status": exc.status(), "message": exc.message()})
    client.close()
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
