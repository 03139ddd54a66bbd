"""A minimal OTLP/HTTP receiver for the test: accepts POST /v1/traces and appends one JSON line per
request (path, content type, size, and whether the body names the given markers) to the output file."""
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, out, markers = int(sys.argv[1]), sys.argv[2], sys.argv[3:]

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        found = {m: m.encode() in body for m in markers}
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "type": self.headers.get("Content-Type"), "bytes": len(body), "found": found}) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
