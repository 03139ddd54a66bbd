// A TLS proxy in front of the kube-apiserver that can be told to fail, for the reconciler's Kubernetes
// fault tests: a Berth whose kubeconfig points here sees what the apiserver says, except where a rule
// says otherwise. Watches stream through unchanged. Serves with the apiserver's own certificate, so the
// kubeconfig's CA is the stack's.
// Env: KUBE_FAULTS_PORT, KUBE_UPSTREAM (https://127.0.0.1:<apiserver port>), KUBE_PKI (the stack's pki dir).
// Control: POST /__faults {"rules": [{"method"?, "path", "status"? | "drop": true}]} replaces the rules
// (`[]` clears them); `path` is a substring of the request's path and query. A `status` answers with a
// Kubernetes Status of that code; `drop` closes the connection unanswered (an unreachable apiserver).
// GET /__faults/hits: how many requests each rule has caught. GET /__faults/seen: "METHOD path?query" of
// every request since the last DELETE /__faults/seen (what a test's Berth asked, to check it asked nothing).
import https from 'node:https';
import { readFileSync } from 'node:fs';

const port = Number(process.env.KUBE_FAULTS_PORT || 16444);
const upstream = new URL(process.env.KUBE_UPSTREAM || 'https://127.0.0.1:16443');
const pki = process.env.KUBE_PKI;
const ca = readFileSync(`${pki}/ca.crt`);
const agent = new https.Agent({ ca, keepAlive: true, maxSockets: 64 });

let rules = [];
let hits = [];
let seen = [];
// What the apiserver calls each status (metav1.StatusReason), so kube-rs reads it as the real thing.
const reasons = { 409: 'Conflict', 500: 'InternalError', 503: 'ServiceUnavailable', 429: 'TooManyRequests', 404: 'NotFound' };

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function control(req, res) {
  if (req.method === 'GET' && req.url === '/__faults/hits') return json(res, 200, hits);
  if (req.method === 'GET' && req.url === '/__faults/seen') return json(res, 200, seen);
  if (req.method === 'DELETE' && req.url === '/__faults/seen') { seen = []; return json(res, 200, seen); }
  if (req.method !== 'POST' || req.url !== '/__faults') return json(res, 404, { error: 'unknown control path' });
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    try {
      rules = JSON.parse(body).rules ?? [];
      hits = rules.map(() => 0);
      json(res, 200, { rules });
    } catch (error) {
      json(res, 400, { error: String(error) });
    }
  });
}

const server = https.createServer({ cert: readFileSync(`${pki}/server.crt`), key: readFileSync(`${pki}/server.key`) }, (req, res) => {
  if (req.url.startsWith('/__faults')) return control(req, res);
  if (seen.length < 100_000) seen.push(`${req.method} ${req.url}`);
  const index = rules.findIndex((r) => (!r.method || r.method === req.method) && req.url.includes(r.path));
  if (index >= 0) {
    const rule = rules[index];
    hits[index] += 1;
    req.resume();
    if (rule.drop) return req.socket.destroy();
    const reason = reasons[rule.status] ?? 'InternalError';
    return json(res, rule.status, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: rule.status, reason,
      message: `injected by the test's fault proxy: ${reason}`,
    });
  }
  const forward = https.request({
    agent, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
    headers: { ...req.headers, host: upstream.host },
  }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  forward.on('error', () => res.destroy());
  // A client that goes away (a watch Berth stops) takes its upstream request with it.
  res.on('close', () => { if (!res.writableFinished) forward.destroy(); });
  req.pipe(forward);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`kube-faults: :${port} -> ${upstream.host}`));
