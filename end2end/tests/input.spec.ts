import { test, expect } from '@playwright/test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { answering, apiSignIn, kubectl, setDownload, signIn, spawnBerth, stopProcess } from './helpers';

// Every door checks what comes in. A Berth of this spec's own (UI only) reaches Kubernetes through the
// stack's fault proxy, which records every request, and Harbor through a recorder in this file; the
// properties send it arbitrary route paths and server-function bodies and check that
//   - nothing answers 5xx, and no answer carries a decoder's own words;
//   - a name that is not a team name causes no request to Kubernetes or Harbor at all;
//   - every download that answers 200 has its audit Event, under the name of the real team.
// Then: a download (and a change) refused while the audit store fails, with nothing sent.

const port = Number((process.env.REPLICA_PORTS ?? '3103,3104').split(',')[0]);
const base = `http://127.0.0.1:${port}`;
const faults = process.env.KUBE_FAULTS_URL ?? 'https://127.0.0.1:16444';
const harbor = new URL(process.env.BERTH_HARBOR_URL ?? 'http://127.0.0.1:4010');
// The spawned Berth's audit Events carry this as their source host.
const marker = `input-${process.pid}`;

/** The team-name rule, as the CRD and Berth state it. */
const isTeamName = (name: string) => name.length >= 1 && name.length <= 40 && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(name);

/** A control call to the fault proxy, which serves with the stack's own CA. */
function control(method: string, path: string, body?: string): Promise<string> {
  const ca = readFileSync(`${process.env.STACK ?? '.stack'}/kube/pki/ca.crt`);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, faults), { method, ca }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const kubeSeen = async (): Promise<string[]> => JSON.parse(await control('GET', '/__faults/seen'));
const kubeForget = () => control('DELETE', '/__faults/seen');
const setKubeFaults = (rules: object[]) => control('POST', '/__faults', JSON.stringify({ rules }));

/** A recording pass-through to the stack's Harbor (Prism): what the spawned Berth asked of Harbor. */
function harborRecorder() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const forward = http.request({ host: harbor.hostname, port: harbor.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  return { seen, server };
}

type Answer = { status: number; body: string; headers: http.IncomingHttpHeaders };

/** One request with the path exactly as given (no URL normalisation: `..`, `%2F` and `?` reach Berth as
 * sent); bytes a request line cannot hold are percent-encoded. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const line = Array.from(Buffer.from(path, 'utf8'))
    .map((b) => (b > 0x20 && b < 0x7f ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: line, headers: { Origin: base, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The name Berth sees in a path segment: percent-decoded, or nothing when that fails. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

// Words of serde, serde_urlencoded, serde_json, axum's rejections and server_fn's own errors.
const decoderWords = /invalid type|missing field|unknown field|invalid digit|number too large|error deserializing|Failed to deserialize|expected value at line|EOF while parsing|Invalid URL|serde/;

// Team-name-like text: real names, near misses, separators, encodings, long runs and arbitrary text.
const fragments = ['alpha', 'beta', 'ALPHA', '%61lpha', 'alpha?x', 'alpha%3Fx', 'alpha%2Fstatus', 'alpha/status', '..', '%2E%2E', '.', '-', '--',
  'a--b', '%00', '%', '%ZZ', '%C3%A4', 'ä', '\u202e', ' ', '%20', '#', '%23', ';', '&', '=', '\\', '%5C', 'team-alpha', 'x'.repeat(41), 'a'.repeat(40)];
const nameLike = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]+(-[a-z0-9]+)*$/).filter((s) => s.length <= 40) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '-', '/', '%', '2', 'F', '?', '.'), minLength: 1, maxLength: 600 }) },
);

const downloadFiles = ['docker-config.json', 'auth.json', 'secret.yaml', 'password.txt'];

test.describe('every door checks what comes in', () => {
  test.setTimeout(300_000);

  let replica: ReturnType<typeof spawnBerth> | undefined;
  let recorder: ReturnType<typeof harborRecorder>;
  let cookies: Record<string, string> = {};

  test.beforeAll(async ({}, info) => {
    // Plain HTTP against a Berth of its own: JavaScript makes no difference, so the JS-on project runs it.
    test.skip(info.project.name !== 'js-on', 'HTTP only; runs in the JS-on project');
    test.setTimeout(120_000);
    recorder = harborRecorder();
    await new Promise<void>((resolve) => recorder.server.listen(0, '127.0.0.1', resolve));
    const harborPort = (recorder.server.address() as AddressInfo).port;
    replica = spawnBerth(port, {
      BERTH_PUBLIC_URL: base,
      KUBECONFIG: process.env.BERTH_STACK_FAULTS_KUBECONFIG ?? '',
      BERTH_HARBOR_URL: `http://127.0.0.1:${harborPort}`,
      BERTH_DOWNLOAD_LIMIT: '100000',
      HOSTNAME: marker,
      // Unset (empty counts as unset): groups match exactly, and start-up says the default changed.
      BERTH_GROUP_MATCH: '',
    });
    await answering(`${base}/healthz`);
    await setKubeFaults([]);
    setDownload('alpha', true);
    for (const user of ['bob', 'dave', 'alice']) {
      const jar = await apiSignIn(user, base);
      const session = (await jar.storageState()).cookies.find((c) => c.name === 'berth_session');
      expect(session, `${user} has a session`).toBeTruthy();
      cookies[user] = `berth_session=${session!.value}`;
      await jar.dispose();
    }
  });

  test.afterAll(async ({}, info) => {
    if (info.project.name !== 'js-on') return;
    await setKubeFaults([]);
    if (replica) await stopProcess(replica, 'SIGTERM');
    await new Promise((resolve) => recorder?.server.close(resolve));
  });

  test('start-up says that groups now match exactly, and what to set', async () => {
    const log = readFileSync(`${process.env.STACK ?? '.stack'}/replica-${port}.log`, 'utf8');
    const line = log.split('\n').filter((l) => l.includes('BERTH_GROUP_MATCH is not set')).pop() ?? '';
    expect(line).toContain('BERTH_GROUP_MATCH is not set, so groups match exactly');
    expect(line).toContain('BERTH_GROUP_MATCH=last-segment');
  });

  /** Runs `call`, and returns what the spawned Berth asked of Kubernetes and Harbor meanwhile. */
  async function upstreamDuring(call: () => Promise<Answer>) {
    await kubeForget();
    recorder.seen.length = 0;
    const answer = await call();
    const kube = (await kubeSeen()).filter((r) => !r.includes('/__faults'));
    return { answer, kube, harbor: [...recorder.seen] };
  }

  test('route paths: no 5xx, no upstream request for an invalid name, every 200 download audited under its team', async () => {
    const started = new Date(Date.now() - 1000).toISOString();
    let allowedDownloads = 0;
    const problems: string[] = [];
    const statuses: Record<number, number> = {};
    const route = fc.record({
      // alpha's own name, spelled several ways, often enough that downloads succeed and get audited.
      segment: fc.oneof({ weight: 4, arbitrary: nameLike }, { weight: 1, arbitrary: fc.constantFrom('alpha', '%61lpha', '%61%6C%70%68%61', 'alpha%3Fx') }),
      encode: fc.boolean(),
      kind: fc.constantFrom('download', 'download', 'page'),
      file: fc.oneof(fc.constantFrom(...downloadFiles), nameLike),
      query: fc.oneof(fc.constant(''), fc.constant('?namespace=ci'), nameLike.map((q) => `?namespace=${q}`), nameLike.map((q) => `?${q}`)),
    });
    await fc.assert(
      fc.asyncProperty(route, async ({ segment, encode, kind, file, query }) => {
        const sent = encode ? encodeURIComponent(segment) : segment;
        const path = kind === 'download' ? `/teams/${sent}/downloads/${file}${query}` : `/teams/${sent}${query}`;
        const { answer, kube, harbor: harborSeen } = await upstreamDuring(() => raw('GET', path, { Cookie: cookies.bob, Accept: 'text/html' }));
        const label = `GET ${JSON.stringify(path)} -> ${answer.status}`;
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status >= 500) problems.push(`${label}: a 5xx`);
        if (decoderWords.test(answer.body)) problems.push(`${label}: a decoder's words in the body`);
        // What Berth routes: the path before any `?` or `#`. A download is /teams/<name>/downloads/<file>
        // (axum decodes the segment once); anything else goes to the pages' router, which may decode a
        // segment again and resolve `.`, `..`, `\` and a trailing `/`. So the names Berth could read are the
        // segments of the path, decoded once or twice; the one a download reads is the third, decoded once.
        const segments = path.split(/[?#]/)[0].split('/');
        const isDownload = segments.length === 5 && segments[3] === 'downloads' && segments[4] !== '';
        const once = isDownload ? decodeSegment(segments[2]) : undefined;
        const readings = segments.flatMap((segment) => segment.split('\\')).flatMap((segment) => {
          const first = decodeSegment(segment);
          return first === undefined ? [] : [first, decodeSegment(first)].filter((n): n is string => n !== undefined);
        }).flatMap((reading) => reading.split(/[/\\]/));
        // Requests that name a team or reach into its namespace or Harbor (a list of all teams names none).
        const named = [...kube.filter((r) => /\/teams\/[^?]|\/namespaces\//.test(r)), ...harborSeen];
        if (!readings.some(isTeamName) && named.length > 0) problems.push(`${label}: upstream asked for an invalid name: ${named.join(', ')}`);
        const namedTeams = kube.map((r) => /\/apis\/berth\.dev\/v1alpha1\/teams\/([^/?]+)/.exec(r)?.[1]).filter((n): n is string => Boolean(n));
        for (const team of namedTeams) {
          const asked = decodeURIComponent(team);
          if (!isTeamName(asked) || !readings.includes(asked)) problems.push(`${label}: Kubernetes asked for team ${team}`);
        }
        if (isDownload && answer.status === 200) {
          allowedDownloads += 1;
          if (once !== 'alpha') problems.push(`${label}: a download answered 200 for ${JSON.stringify(once)}`);
        }
        return true;
      }),
      { numRuns: 1000, seed: 18 },
    );
    console.log(`route paths: answers by status ${JSON.stringify(statuses)}, downloads answered 200: ${allowedDownloads}`);
    // A download that surely answers 200, so the audit check below is never vacuous.
    const sure = await raw('GET', '/teams/%61lpha/downloads/password.txt', { Cookie: cookies.bob });
    expect(sure.status).toBe(200);
    allowedDownloads += 1;
    const events = JSON.parse(kubectl('get', 'events', '-n', 'default', '-l', 'berth.dev/action=push-secret-download', '-o', 'json')).items as Array<{
      source?: { host?: string }; lastTimestamp?: string; metadata: { annotations: Record<string, string> };
    }>;
    const ours = events.filter((e) => e.source?.host === marker && (e.lastTimestamp ?? '') >= started.slice(0, 19));
    const allowed = ours.filter((e) => e.metadata.annotations['berth.dev/result'] === 'allowed');
    expect(problems).toEqual([]);
    expect(allowed.map((e) => e.metadata.annotations['berth.dev/team']).filter((t) => t !== 'alpha')).toEqual([]);
    expect(allowed.length).toBe(allowedDownloads);
    // Refusals name real teams too, never the raw input.
    expect(ours.map((e) => e.metadata.annotations['berth.dev/team']).filter((t) => !['alpha', 'beta'].includes(t))).toEqual([]);
  });

  // Each server function with the names of its arguments; `names`: those that carry a team name.
  const functions: Array<{ endpoint: string; fields: string[]; names: string[] }> = [
    { endpoint: 'set_push_secret_download', fields: ['team', 'enabled'], names: ['team'] },
    { endpoint: 'rotate_credentials', fields: ['team', 'purpose'], names: ['team'] },
    { endpoint: 'create_team', fields: ['name', 'groups', 'push_secret_download', 'namespaces'], names: ['name'] },
    { endpoint: 'delete_team', fields: ['team', 'confirm'], names: ['team'] },
    { endpoint: 'load_team', fields: ['name'], names: ['name'] },
    { endpoint: 'load_audit_log', fields: ['team', 'action'], names: ['team'] },
    { endpoint: 'delete_harbor_user', fields: ['user_id', 'confirm'], names: [] },
    { endpoint: 'search_harbor_users', fields: ['query'], names: [] },
    { endpoint: 'admin_teams', fields: [], names: [] },
    { endpoint: 'list_teams', fields: [], names: [] },
    { endpoint: 'load_system_health', fields: [], names: [] },
    { endpoint: 'current_user', fields: [], names: [] },
    { endpoint: 'take_flash', fields: [], names: [] },
  ];
  /** Whether a body gives a name argument that is not a team name (server functions read form bodies). */
  function invalidNameOf(fn: { endpoint: string; names: string[] }, text: string): boolean {
    const form = new URLSearchParams(text);
    return fn.names.some((field) => {
      const given = form.get(field);
      const name = fn.endpoint === 'create_team' ? given?.trim() : given;
      // load_audit_log takes an empty team as "all teams".
      return given !== null && !(fn.endpoint === 'load_audit_log' && given === '') && !isTeamName(name ?? '');
    });
  }
  const value = fc.oneof(nameLike, fc.constantFrom('true', 'false', 'maybe', '', '1', '-1', '99999999999999999999', '1e3', 'push', 'null'));
  const bodyFor = (fields: string[]) => fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.subarray(fields), fc.array(fc.tuple(fc.constantFrom(...fields, 'x', ''), value), { maxLength: 2 }), fc.array(value, { minLength: 3, maxLength: 3 }))
      .map(([present, extra, values]) => [...present.map((f, i) => [f, values[i % 3]] as [string, string]), ...extra]) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))) },
  );

  test('server-function bodies: 400 or an answer, never 5xx or a decoder\'s words; invalid names reach nothing', async () => {
    const problems: string[] = [];
    const statuses: Record<number, number> = {};
    let invalidCalls = 0;
    // dave may change nothing (no team, not an admin), so any body is harmless; alice (platform admin)
    // gets the functions that only read.
    const readOnly = new Set(['load_team', 'load_audit_log', 'search_harbor_users', 'admin_teams', 'list_teams', 'load_system_health', 'current_user', 'take_flash']);
    const cases = fc.constantFrom(...functions).chain((fn) => fc.record({
      fn: fc.constant(fn),
      user: readOnly.has(fn.endpoint) ? fc.constantFrom('dave', 'alice') : fc.constant('dave'),
      body: bodyFor(fn.fields.length ? fn.fields : ['x']),
      contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ''),
    }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ fn, user, body, contentType }) => {
        const text = typeof body === 'string' ? body : new URLSearchParams(body).toString();
        const headers: Record<string, string> = { Cookie: cookies[user], Accept: 'application/json' };
        if (contentType) headers['Content-Type'] = contentType;
        const { answer, kube, harbor: harborSeen } = await upstreamDuring(() => raw('POST', `/api/${fn.endpoint}`, headers, text));
        const label = `${user} POST /api/${fn.endpoint} ${JSON.stringify(text).slice(0, 200)} (${contentType || 'no type'}) -> ${answer.status}`;
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (invalidNameOf(fn, text)) invalidCalls += 1;
        if (answer.status >= 500) problems.push(`${label}: a 5xx: ${answer.body.slice(0, 200)}`);
        if (decoderWords.test(answer.body)) problems.push(`${label}: a decoder's words: ${answer.body.slice(0, 200)}`);
        if (invalidNameOf(fn, text) && answer.status !== 401 && (kube.length > 0 || harborSeen.length > 0)) {
          problems.push(`${label}: upstream asked for an invalid name: ${[...kube, ...harborSeen].join(', ')}`);
        }
        const namedTeams = kube.map((r) => /\/apis\/berth\.dev\/v1alpha1\/teams\/([^/?]+)/.exec(r)?.[1]).filter((n): n is string => Boolean(n));
        for (const team of namedTeams) if (!isTeamName(decodeURIComponent(team))) problems.push(`${label}: Kubernetes asked for team ${team}`);
        return true;
      }),
      { numRuns: 1000, seed: 1818 },
    );
    console.log(`server functions: answers by status ${JSON.stringify(statuses)}, calls with an invalid team name: ${invalidCalls}`);
    expect(problems).toEqual([]);
  });

  test('no audit, no secret: downloads and changes are refused while audit Events cannot be stored', async () => {
    const pushToken = () => {
      const secret = JSON.parse(kubectl('get', 'secret', '-n', 'team-alpha', 'harbor-pushsecret', '-o', 'json'));
      const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString());
      return (Object.values(config.auths)[0] as { password: string }).password;
    };
    const token = pushToken();
    const teamDownload = () => kubectl('get', 'team', 'alpha', '-o', 'jsonpath={.spec.pushSecretDownload}');
    await setKubeFaults([{ method: 'POST', path: '/events', status: 500 }]);
    try {
      // Every format, the copy button's fetch (the password route) included.
      for (const file of downloadFiles) {
        const answer = await raw('GET', `/teams/alpha/downloads/${file}`, { Cookie: cookies.bob });
        expect(answer.status, file).toBe(503);
        expect(answer.body, file).toContain('could not store the audit record');
        expect(answer.body.includes(token), `${file}: the token left Berth`).toBe(false);
        expect(answer.headers['content-disposition'], file).toBeUndefined();
      }
      // A change (alice switches alpha's download off) does not happen without its record.
      const before = teamDownload();
      const toggle = await raw('POST', '/api/set_push_secret_download', {
        Cookie: cookies.alice, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded',
      }, 'team=alpha&enabled=false');
      expect(toggle.status).toBe(503);
      expect(toggle.body).toContain('could not store the audit record');
      expect(teamDownload()).toBe(before);
    } finally {
      await setKubeFaults([]);
    }
    const again = await raw('GET', '/teams/alpha/downloads/password.txt', { Cookie: cookies.bob });
    expect(again.status).toBe(200);
    expect(again.body).toBe(token);
  });
});

test('a refused admin page shows no admin controls', async ({ page }) => {
  await signIn(page, 'bob', '/admin');
  for (const path of ['/admin', '/admin/health', '/admin/harbor-users', '/audit']) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.locator('[role=alert]').first(), path).toBeVisible();
    for (const control of ['#create-team', '#admin-teams', '#admin-nav', '#user-search', '#audit-filter', '#health-refresh', 'main form']) {
      await expect(page.locator(control), `${path}: ${control}`).toHaveCount(0);
    }
  }
});
