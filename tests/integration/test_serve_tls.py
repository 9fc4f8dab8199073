#!/usr/bin/python3
"""`kiln serve --tls-cert --tls-key`: HTTPS with a certificate made for the test by the openssl
command — predictions over TLS equal to plain HTTP's, keep-alive, a plain-HTTP client refused,
gRPC over TLS with the same files, and every bad TLS option a clear error at start."""
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

from serve_util import DATA, KILN, Server, fresh_env, kiln
from test_serve_grpc import generate_stubs

try:
    import grpc
except ImportError:  # python3-grpcio (scripts/install-deps.sh)
    grpc = None

def make_certificate(directory, name):
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("the openssl command is missing (scripts/install-deps.sh)")
        if not os.path.isdir(os.path.join(DATA, "breast_cancer")):
            raise unittest.SkipTest("dataset breast_cancer missing; run scripts/fetch_datasets.py")
        cls.tmp = tempfile.TemporaryDirectory(prefix="kiln_serve_tls_")
        cls.dir = cls.tmp.name
        cls.env = fresh_env(cls.dir)
        kiln(cls.env, cls.dir, "train", "--algo", "logistic_regression", "--data",
             os.path.join(DATA, "breast_cancer", "train.csv"), "-o", "bc.kiln", "-q")
        cls.cert, cls.key = make_certificate(cls.dir, "server")
        cls.other_cert, cls.other_key = make_certificate(cls.dir, "other")
        args = ["--models", "bc", "--tls-cert", cls.cert, "--tls-key", cls.key]
        if grpc is not None:
            args += ["--grpc-port", "0", "--grpc-port-file", os.path.join(cls.dir, "grpc.port")]
        cls.server = Server(cls.env, cls.dir, *args)
        cls.plain = Server(cls.env, cls.dir, "--models", "bc")
        cls.context = ssl.create_default_context(cafile=cls.cert)

    @classmethod
    def tearDownClass(cls):
        codes = [cls.server.stop(), cls.plain.stop()]
        cls.tmp.cleanup()
        assert codes == [0, 0], f"kiln serve exited {codes}"

    def https(self):
        return http.client.HTTPSConnection("127.0.0.1", self.server.port, context=self.context,
                                           timeout=30)

    def test_predictions_over_tls_equal_plain_http_with_keep_alive(self):
        row = {n: 1.0 for n in self.feature_names()}
        conn = self.https()
        for _ in range(5):
            code, out, _ = self.server.request("POST", "/v1/models/bc:predict",
                                               {"instances": [row]}, conn=conn)
            self.assertEqual(code, 200, out)
        conn.close()
        code, plain, _ = self.plain.request("POST", "/v1/models/bc:predict", {"instances": [row]})
        self.assertEqual(code, 200, plain)
        self.assertEqual(out["predictions"], plain["predictions"])
        self.assertEqual(out["probabilities"], plain["probabilities"])
        self.assertIn("https://", self.server.output())

    def feature_names(self):
        conn = self.https()
        code, meta, _ = self.server.request("GET", "/v2/models/bc", conn=conn)
        conn.close()
        self.assertEqual(code, 200, meta)
        return [i["name"] for i in meta["inputs"]]

    def test_a_client_that_does_not_trust_the_certificate_is_refused(self):
        untrusting = ssl.create_default_context(cafile=self.other_cert)
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=untrusting,
                                           timeout=30)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/v2/health/live")
        conn.close()
        self.assertIsNone(self.server.proc.poll(), "the server died")

    def test_plain_http_to_the_tls_port_gets_no_answer(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as sock:
            sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            try:
                while chunk := sock.recv(65536):
                    data += chunk
            except ConnectionResetError:
                pass
        self.assertNotIn(b"HTTP/1.1 200", data)
        conn = self.https()
        code, out, _ = self.server.request("GET", "/v2/health/live", conn=conn)
        conn.close()
        self.assertEqual((code, out), (200, {"live": True}))

    @unittest.skipIf(grpc is None, "python3-grpcio is not installed")
    def test_grpc_over_tls(self):
        pb, pb_grpc = generate_stubs(os.path.join(self.dir, "stubs"))
        with open(os.path.join(self.dir, "grpc.port")) as f:
            port = int(f.read())
        with open(self.cert, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        with grpc.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(), timeout=30).live)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            with self.assertRaises(grpc.RpcError):
                stub.ServerLive(pb.ServerLiveRequest(), timeout=5)

    def test_bad_tls_options_are_clear_errors(self):
        garbage = os.path.join(self.dir, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("not a certificate\n")
        cases = [
            (["--tls-cert", self.cert], "needs both --tls-cert"),
            (["--tls-key", self.key], "needs both --tls-cert"),
            (["--tls-cert", os.path.join(self.dir, "missing.crt"), "--tls-key", self.key],
             "missing.crt: not a readable PEM certificate chain"),
            (["--tls-cert", garbage, "--tls-key", self.key],
             "garbage.pem: not a readable PEM certificate chain"),
            (["--tls-cert", self.cert, "--tls-key", garbage],
             "garbage.pem: not a readable PEM private key"),
            (["--tls-cert", self.cert, "--tls-key", self.other_key],
             "is not the key of the certificate"),
        ]
        for args, needle in cases:
            r = subprocess.run([KILN, "serve", "--models", "bc", "--port", "0", *args],
                               capture_output=True, text=True, env=self.env, cwd=self.dir,
                               timeout=60)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(needle, r.stderr, args)


if __name__ == "__main__":
    unittest.main(verbosity=2)
