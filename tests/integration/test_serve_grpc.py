#!/usr/bin/python3
"""`kiln serve --grpc-port`: the Open Inference Protocol over gRPC (inference.GRPCInferenceService)
as a real client sees it — stubs generated from proto/grpc_predict_v2.proto at test time —
health, server and model metadata (equal to REST's), ModelInfer with typed contents and with
raw_input_contents (answers equal to REST /v2 infer for the same rows), routing metadata, bad
inputs (the right status code and a message that names the problem, and the server keeps
running) and bearer-token auth."""
import csv
import importlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

from serve_util import DATA, SOURCE, Server, fresh_env, kiln

try:
    import grpc
except ImportError:  # python3-grpcio (scripts/install-deps.sh)
    grpc = None

PROTO_DIR = os.path.join(SOURCE, "proto")


def generate_stubs(out_dir):
    """grpc_predict_v2_pb2 and _pb2_grpc from the proto, as a client would generate them."""
    if "grpc_predict_v2_pb2_grpc" in sys.modules:
        return sys.modules["grpc_predict_v2_pb2"], sys.modules["grpc_predict_v2_pb2_grpc"]
    os.makedirs(out_dir, exist_ok=True)
    proto = os.path.join(PROTO_DIR, "grpc_predict_v2.proto")
    commands = [[sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}",
                 f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", proto]]
    protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
    if protoc and plugin:
        commands.append([protoc, f"-I{PROTO_DIR}", f"--python_out={out_dir}",
                         f"--grpc_python_out={out_dir}",
                         f"--plugin=protoc-gen-grpc_python={plugin}", proto])
    errors = []
    for command in commands:
        r = subprocess.run(command, capture_output=True, text=True)
        if r.returncode == 0:
            sys.path.insert(0, out_dir)
            return (importlib.import_module("grpc_predict_v2_pb2"),
                    importlib.import_module("grpc_predict_v2_pb2_grpc"))
        errors.append(f"{' '.join(command)}: {r.stderr.strip()}")
    raise unittest.SkipTest("cannot generate Python gRPC stubs:\n" + "\n".join(errors))


def f32(x):
    """x rounded to float32, as an FP32 tensor carries it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def read_rows(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [{k: f32(float(v)) for k, v in r.items() if k != "label"} for r in rows]


def unpack_bytes(raw):
    out, at = [], 0
    while at < len(raw):
        (n,) = struct.unpack_from("<I", raw, at)
        out.append(raw[at + 4:at + 4 + n].decode())
        at += 4 + n
    return out


class Grpc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if grpc is None:
            raise unittest.SkipTest("python3-grpcio is not installed")
        if not os.path.isdir(os.path.join(DATA, "breast_cancer")):
            raise unittest.SkipTest("dataset breast_cancer missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_grpc_")
        cls.dir = cls.tmp.name
        cls.pb, cls.pb_grpc = generate_stubs(os.path.join(cls.dir, "stubs"))
        cls.env = fresh_env(cls.dir)
        kiln(cls.env, cls.dir, "train", "--algo", "logistic_regression", "--data",
             os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "bc.kiln", "-q")
        grpc_port_file = os.path.join(cls.dir, "grpc.port")
        cls.server = Server(cls.env, cls.dir, "--models", "bc", "--grpc-port", "0",
                            "--grpc-port-file", grpc_port_file)
        with open(grpc_port_file) as f:
            cls.grpc_port = int(f.read())
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{cls.grpc_port}")
        cls.stub = cls.pb_grpc.GRPCInferenceServiceStub(cls.channel)
        cls.rows = read_rows(os.path.join(DATA, "breast_cancer", "test.csv"))
        cls.names = list(cls.rows[0].keys())

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        output = cls.server.output()
        cls.tmp.cleanup()
        assert code == 0, f"kiln serve exited {code}:\n{output}"

    def rest_infer(self, rows):
        body = {"inputs": [{"name": n, "shape": [len(rows)], "datatype": "FP32",
                            "data": [r[n] for r in rows]} for n in self.names]}
        code, out, _ = self.server.request("POST", "/v2/models/bc/infer", body)
        self.assertEqual(code, 200, out)
        return {t["name"]: t for t in out["outputs"]}

    def expect_error(self, code, call, request, *needles, metadata=None):
        with self.assertRaises(grpc.RpcError) as caught:
            call(request, metadata=metadata, timeout=30)
        error = caught.exception
        self.assertEqual(error.code(), code, error.details())
        for needle in needles:
            self.assertIn(needle, error.details())
        self.assertIsNone(self.server.proc.poll(), "the server died")
        self.assertTrue(self.stub.ServerLive(self.pb.ServerLiveRequest(), timeout=30).live)
        return error.details()

    def typed_request(self, rows, **kwargs):
        pb = self.pb
        request = pb.ModelInferRequest(**{"model_name": "bc", **kwargs})
        for n in self.names:
            tensor = request.inputs.add(name=n, datatype="FP32", shape=[len(rows)])
            tensor.contents.fp32_contents.extend(r[n] for r in rows)
        return request

    # --- health and metadata -----------------------------------------------------------------
    def test_health_and_server_metadata(self):
        pb = self.pb
        self.assertTrue(self.stub.ServerLive(pb.ServerLiveRequest(), timeout=30).live)
        self.assertTrue(self.stub.ServerReady(pb.ServerReadyRequest(), timeout=30).ready)
        meta = self.stub.ServerMetadata(pb.ServerMetadataRequest(), timeout=30)
        _, rest, _ = self.server.request("GET", "/v2")
        self.assertEqual(meta.name, "kiln")
        self.assertEqual(meta.version, rest["version"])
        self.assertEqual(list(meta.extensions), rest["extensions"])

    def test_model_ready(self):
        pb = self.pb
        self.assertTrue(self.stub.ModelReady(pb.ModelReadyRequest(name="bc"), timeout=30).ready)
        self.assertTrue(self.stub.ModelReady(pb.ModelReadyRequest(name="bc", version="1"),
                                             timeout=30).ready)
        self.expect_error(grpc.StatusCode.NOT_FOUND, self.stub.ModelReady,
                          pb.ModelReadyRequest(name="nope"), "nope")
        self.expect_error(grpc.StatusCode.NOT_FOUND, self.stub.ModelReady,
                          pb.ModelReadyRequest(name="bc", version="7"), "7")
        self.expect_error(grpc.StatusCode.INVALID_ARGUMENT, self.stub.ModelReady,
                          pb.ModelReadyRequest(name="bc", version="x"), "version", "'x'")

    def test_model_metadata_matches_rest(self):
        meta = self.stub.ModelMetadata(self.pb.ModelMetadataRequest(name="bc"), timeout=30)
        code, rest, _ = self.server.request("GET", "/v2/models/bc")
        self.assertEqual(code, 200)
        self.assertEqual(meta.name, rest["name"])
        self.assertEqual(list(meta.versions), rest["versions"])
        self.assertEqual(meta.platform, rest["platform"])

        def tensors(ts):
            return [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in ts]
        self.assertEqual(tensors(meta.inputs), rest["inputs"])
        self.assertEqual(tensors(meta.outputs), rest["outputs"])
        self.assertEqual(len(meta.inputs), 30)
        self.expect_error(grpc.StatusCode.NOT_FOUND, self.stub.ModelMetadata,
                          self.pb.ModelMetadataRequest(name="nope"), "model 'nope' is not served")

    # --- inference ---------------------------------------------------------------------------
    def test_infer_typed_contents_match_rest(self):
        rows = self.rows
        answer, call = self.stub.ModelInfer.with_call(
            self.typed_request(rows, id="req-1"), timeout=60)
        self.assertEqual(answer.model_name, "bc")
        self.assertEqual(answer.model_version, "1")
        self.assertEqual(answer.id, "req-1")
        self.assertIn(("x-kiln-model-version", "1"), call.initial_metadata())
        self.assertEqual(len(answer.raw_output_contents), 0)
        outputs = {t.name: t for t in answer.outputs}
        rest = self.rest_infer(rows)
        self.assertEqual(sorted(outputs), sorted(rest))
        probs = outputs["probabilities"]
        self.assertEqual(probs.datatype, "FP64")
        self.assertEqual(list(probs.shape), [len(rows), 2])
        self.assertEqual(len(probs.contents.fp64_contents), 2 * len(rows))
        for a, b in zip(probs.contents.fp64_contents, rest["probabilities"]["data"]):
            self.assertAlmostEqual(a, b, delta=1e-6)
        predictions = [b.decode() for b in outputs["predictions"].contents.bytes_contents]
        self.assertEqual(predictions, rest["predictions"]["data"])
        self.assertEqual(outputs["predictions"].datatype, "BYTES")

    def test_infer_raw_matrix_matches_rest(self):
        rows = self.rows
        pb = self.pb
        request = pb.ModelInferRequest(model_name="bc", model_version="1")
        request.inputs.add(name="input", datatype="FP32", shape=[len(rows), len(self.names)])
        values = [r[n] for r in rows for n in self.names]
        request.raw_input_contents.append(struct.pack(f"<{len(values)}f", *values))
        answer = self.stub.ModelInfer(request, timeout=60)
        self.assertEqual(len(answer.raw_output_contents), len(answer.outputs))
        raw = {t.name: (t, answer.raw_output_contents[i]) for i, t in enumerate(answer.outputs)}
        rest = self.rest_infer(rows)
        tensor, data = raw["probabilities"]
        self.assertEqual(list(tensor.shape), [len(rows), 2])
        probs = struct.unpack(f"<{2 * len(rows)}d", data)
        for a, b in zip(probs, rest["probabilities"]["data"]):
            self.assertAlmostEqual(a, b, delta=1e-6)
        self.assertEqual(unpack_bytes(raw["predictions"][1]), rest["predictions"]["data"])
        # Only the requested output; FP64 per-feature raw tensors.
        request = pb.ModelInferRequest(model_name="bc")
        request.outputs.add(name="probabilities")
        for n in self.names:
            request.inputs.add(name=n, datatype="FP64", shape=[len(rows), 1])
            request.raw_input_contents.append(struct.pack(f"<{len(rows)}d",
                                                          *[r[n] for r in rows]))
        answer = self.stub.ModelInfer(request, timeout=60)
        self.assertEqual([t.name for t in answer.outputs], ["probabilities"])
        self.assertEqual(struct.unpack(f"<{2 * len(rows)}d", answer.raw_output_contents[0]),
                         probs)

    def test_routing_metadata_and_parameters(self):
        rows = self.rows[:3]
        answer = self.stub.ModelInfer(self.typed_request(rows), timeout=30,
                                      metadata=[("x-kiln-version", "1"),
                                                ("x-kiln-route-key", "user-7")])
        self.assertEqual(answer.model_version, "1")
        request = self.typed_request(rows)
        request.parameters["x-kiln-label"].string_param = "production"
        self.expect_error(grpc.StatusCode.NOT_FOUND, self.stub.ModelInfer, request,
                          "labelled 'production'")
        self.expect_error(grpc.StatusCode.NOT_FOUND, self.stub.ModelInfer,
                          self.typed_request(rows), "labelled 'canary'",
                          metadata=[("x-kiln-label", "canary")])
        request = self.typed_request(rows)
        request.parameters["x-kiln-label"].bool_param = True
        self.expect_error(grpc.StatusCode.INVALID_ARGUMENT, self.stub.ModelInfer, request,
                          'parameters["x-kiln-label"]', "string_param")

    def test_requests_are_counted(self):
        def count():
            _, text, _ = self.server.request("GET", "/metrics")
            m = re.search(r'kiln_model_requests_total\{model="bc",version="1"\} (\d+)', text)
            return int(m.group(1))
        before = count()
        for _ in range(3):
            self.stub.ModelInfer(self.typed_request(self.rows[:2]), timeout=30)
        self.assertGreaterEqual(count() - before, 3)

    # --- bad inputs --------------------------------------------------------------------------
    def test_bad_inputs(self):
        pb = self.pb
        bad = grpc.StatusCode.INVALID_ARGUMENT
        infer = self.stub.ModelInfer

        def one(name="mean_radius", datatype="FP32", shape=(1,), **contents):
            request = pb.ModelInferRequest(model_name="bc")
            tensor = request.inputs.add(name=name, datatype=datatype, shape=list(shape))
            for field, values in contents.items():
                getattr(tensor.contents, field).extend(values)
            return request

        self.expect_error(grpc.StatusCode.NOT_FOUND, infer,
                          self.typed_request(self.rows[:1], model_name="nope"),
                          "model 'nope' is not served", "bc")
        self.expect_error(grpc.StatusCode.NOT_FOUND, infer,
                          self.typed_request(self.rows[:1], model_version="9"),
                          "no live version 9", "live: 1")
        self.expect_error(bad, infer, self.typed_request(self.rows[:1], model_version="x"),
                          "model_version", "'x'")
        self.expect_error(bad, infer, pb.ModelInferRequest(model_name="bc"), "inputs")
        self.expect_error(bad, infer, one(shape=(2,), fp32_contents=[1.0]),
                          "shape [2] needs 2 values, fp32_contents has 1")
        self.expect_error(bad, infer, one(shape=(1, 3), fp32_contents=[1, 2, 3]),
                          "mean_radius", "[rows, 1]")
        self.expect_error(bad, infer, one(name="x", shape=(1, 5), fp32_contents=[1] * 5),
                          "must have 30 columns")
        self.expect_error(bad, infer, one(shape=(1, 2, 3), fp32_contents=[1] * 6),
                          "inputs[0].shape", "3 dimensions")
        self.expect_error(bad, infer, one(shape=(-1,), fp32_contents=[1]), "inputs[0].shape")
        self.expect_error(bad, infer, one(datatype="FP17", fp32_contents=[1]),
                          "unknown datatype 'FP17'")
        self.expect_error(bad, infer, one(datatype="BYTES", bytes_contents=[b"a"]),
                          "mean_radius", "BYTES")
        self.expect_error(bad, infer, one(datatype="FP32", int64_contents=[1]),
                          "inputs[0].contents", "fp32_contents", "int64_contents")
        self.expect_error(bad, infer, one(name="mean_radiu", fp32_contents=[1]),
                          "unknown feature 'mean_radiu'", "did you mean 'mean_radius'")
        self.expect_error(bad, infer, one(fp32_contents=[float("inf")]), "finite")
        self.expect_error(bad, infer, one(fp32_contents=[1.0]), "missing features")
        request = self.typed_request(self.rows[:1])
        request.outputs.add(name="logits")
        self.expect_error(bad, infer, request, "unknown output 'logits'", "probabilities")
        request = one()
        request.raw_input_contents.append(b"\x00\x00\x80")
        self.expect_error(bad, infer, request, "raw_input_contents[0]", "need 4 bytes, found 3")
        request = one()
        request.inputs.add(name="mean_texture", datatype="FP32", shape=[1])
        request.raw_input_contents.append(struct.pack("<f", 1.0))
        self.expect_error(bad, infer, request, "raw_input_contents", "one entry per input (2)")


class Auth(unittest.TestCase):
    def test_bearer_token(self):
        if grpc is None:
            raise unittest.SkipTest("python3-grpcio is not installed")
        with tempfile.TemporaryDirectory(prefix="kiln_serve_grpc_auth_") as d:
            pb, pb_grpc = generate_stubs(os.path.join(d, "stubs"))
            env = fresh_env(d, KILN_SERVE_TOKEN="s3cret")
            kiln(env, d, "train", "--algo", "logistic_regression", "--data",
                 os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "bc.kiln", "-q")
            port_file = os.path.join(d, "grpc.port")
            server = Server(env, d, "--models", "bc", "--grpc-port", "0", "--grpc-port-file",
                            port_file)
            try:
                with open(port_file) as f:
                    channel = grpc.insecure_channel(f"127.0.0.1:{int(f.read())}")
                stub = pb_grpc.GRPCInferenceServiceStub(channel)
                self.assertTrue(stub.ServerReady(pb.ServerReadyRequest(), timeout=30).ready)
                request = pb.ModelMetadataRequest(name="bc")
                with self.assertRaises(grpc.RpcError) as caught:
                    stub.ModelMetadata(request, timeout=30)
                self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                self.assertIn("Bearer", caught.exception.details())
                with self.assertRaises(grpc.RpcError) as caught:
                    stub.ModelMetadata(request, timeout=30,
                                       metadata=[("authorization", "Bearer wrong")])
                self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                meta = stub.ModelMetadata(request, timeout=30,
                                          metadata=[("authorization", "Bearer s3cret")])
                self.assertEqual(meta.name, "bc")
                channel.close()
            finally:
                self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
