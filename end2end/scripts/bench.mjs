// The client side of `make bench` (see bench.sh). One mode per run, each printing what it measured as
// `bench <key> <value>` lines (read by bench.sh) plus a human summary:
//   wire      bytes over the wire for the first team page: HTML + CSS + JS + WASM as the server sends
//             them to a browser accepting brotli (bodies and header blocks as received, not decompressed)
//   overhead  BENCH_USERS users, each loading a page and thinking 0.5-1.5 s, for BENCH_SECONDS; the team
//             page and the calibration page (BENCH_CALIBRATION_PAGE, /signed-out: the same middleware,
//             session, renderer and compression, no upstream call) take turns every BENCH_BLOCK_SECONDS,
//             so both see the same load and the same neighbours on the machine. Berth's own time per page
//             from its Server-Timing header (total minus upstream waiting); BENCH_DUMP=file writes one
//             line per team page (start ms, total, own, upstream, slowest call) to look at the tail;
//             BENCH_ACCEPT_ENCODING (default 'br, gzip', as a browser)
//   overlap   BENCH_REQUESTS page loads one after another: page time vs the slowest and the sum of the
//             upstream calls (run with a large Harbor latency so the difference is plain)
//   signin    prints the cookie header of one signed-in session (for `pages`)
//   pages     BENCH_REQUESTS team page loads one after another with the session BENCH_COOKIE (the
//             instruction count under callgrind is taken around them)
// Env: BENCH_BERTH_URL, BENCH_USER (bob), BENCH_TEAM (alpha).
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { signIn, signInMany, percentile } from './signin.mjs';

const berth = process.env.BENCH_BERTH_URL ?? 'http://127.0.0.1:3000';
const user = process.env.BENCH_USER ?? 'bob';
const team = process.env.BENCH_TEAM ?? 'alpha';
const page = `/teams/${team}`;
const mode = process.argv[2];
const report = (key, value) => console.log(`bench ${key} ${value}`);

/** One GET as a browser sends it, without decoding: status, encoding, bytes received. */
function rawGet(path, cookie) {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, berth), { headers: { cookie, 'accept-encoding': 'br, gzip' } }, (response) => {
      let body = 0;
      const chunks = [];
      response.on('data', (chunk) => { body += chunk.length; chunks.push(chunk); });
      response.on('end', () => {
        // The status line and header block as they came (rawHeaders keeps names and values apart).
        let head = `HTTP/1.1 ${response.statusCode} ${response.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < response.rawHeaders.length; i += 2) head += `${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}\r\n`.length;
        resolve({ status: response.statusCode, encoding: response.headers['content-encoding'] ?? 'identity', body, head, raw: Buffer.concat(chunks) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Berth's Server-Timing values in milliseconds, by name. */
function serverTiming(response) {
  const header = response.headers.get('server-timing');
  if (!header) throw new Error('no Server-Timing header: start Berth with BERTH_SERVER_TIMING=on');
  return Object.fromEntries(header.split(',').map((part) => {
    const [name, ...params] = part.trim().split(';');
    const dur = params.find((p) => p.startsWith('dur='));
    return [name, Number(dur?.slice(4))];
  }));
}

const stats = (list) => { const s = [...list].sort((a, b) => a - b); return { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length }; };
const ms = (v) => `${v.toFixed(2)} ms`;

if (mode === 'wire') {
  const cookie = await signIn(berth, user, undefined, page);
  const html = await rawGet(page, cookie);
  if (html.status !== 200) throw new Error(`${page} answered ${html.status}`);
  const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
  const text = (html.encoding === 'br' ? brotliDecompressSync(html.raw) : html.encoding === 'gzip' ? gunzipSync(html.raw) : html.raw).toString();
  const assets = [...new Set(text.match(/\/pkg\/[A-Za-z0-9_.-]+\.(?:css|js|wasm)/g))];
  if (!assets.some((a) => a.endsWith('.wasm')) || !assets.some((a) => a.endsWith('.js')) || !assets.some((a) => a.endsWith('.css'))) {
    throw new Error(`the page does not name its CSS, JS and WASM: ${assets.join(', ')}`);
  }
  let total = html.body + html.head;
  console.log(`wire: ${page.padEnd(24)} ${String(html.body).padStart(8)} B body (${html.encoding}) + ${html.head} B headers`);
  for (const asset of assets) {
    const got = await rawGet(asset, cookie);
    if (got.status !== 200) throw new Error(`${asset} answered ${got.status}`);
    console.log(`wire: ${asset.padEnd(24)} ${String(got.body).padStart(8)} B body (${got.encoding}) + ${got.head} B headers`);
    report(`wire_${asset.split('.').pop()}`, got.body + got.head);
    total += got.body + got.head;
  }
  report('wire_html', html.body + html.head);
  report('wire_total', total);
} else if (mode === 'overhead') {
  const users = Number(process.env.BENCH_USERS ?? 200);
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  const block = Number(process.env.BENCH_BLOCK_SECONDS ?? 5) * 1000;
  const calibrationPage = process.env.BENCH_CALIBRATION_PAGE ?? '/signed-out';
  // What a browser asks for (Node's fetch would ask for gzip and deflate only).
  const acceptEncoding = process.env.BENCH_ACCEPT_ENCODING ?? 'br, gzip';
  const cookies = await signInMany(berth, user, users, page);
  const measured = {
    [page]: { own: [], latency: [], upstream: [], errors: 0 },
    [calibrationPage]: { own: [], latency: [], upstream: [], errors: 0 },
  };
  const rowsDump = [];
  const begun = performance.now();
  const deadline = begun + seconds * 1000;
  // Even blocks the team page, odd ones the calibration page.
  const current = () => (Math.floor((performance.now() - begun) / block) % 2 === 0 ? page : calibrationPage);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  await Promise.all(cookies.map(async (cookie) => {
    await sleep(Math.random() * 1000); // users arrive spread over a second, not in one burst
    while (performance.now() < deadline) {
      const path = current();
      const into = measured[path];
      const started = performance.now();
      const response = await fetch(`${berth}${path}`, { headers: { cookie, 'accept-encoding': acceptEncoding }, redirect: 'manual' });
      await response.arrayBuffer();
      if (response.status !== 200) { into.errors++; continue; }
      into.latency.push(performance.now() - started);
      const t = serverTiming(response);
      into.own.push(t.berth);
      into.upstream.push(t.upstream);
      if (process.env.BENCH_DUMP && path === page) rowsDump.push([Math.round(started), t.total, t.berth, t.upstream, t['upstream-slowest']].join(' '));
      await sleep(500 + Math.random() * 1000);
    }
  }));
  if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, rowsDump.join('\n'));
  for (const [path, key] of [[page, 'overhead'], [calibrationPage, 'calibration']]) {
    const m = measured[path];
    const own = stats(m.own), lat = stats(m.latency), up = stats(m.upstream);
    console.log(`${key}: ${users} users, ${own.n} pages of ${path} in ${seconds / 2} s of ${seconds} (${(own.n / (seconds / 2)).toFixed(0)}/s), ${m.errors} errors`);
    console.log(`${key}: Berth's own time per page p50 ${ms(own.p50)}, p99 ${ms(own.p99)}; waiting on upstream p50 ${ms(up.p50)}, p99 ${ms(up.p99)}; page as the client saw it p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}`);
    report(`${key}_p99_ms`, own.p99.toFixed(3));
    report(`${key}_p50_ms`, own.p50.toFixed(3));
    report(`${key}_pages`, own.n);
    report(`${key}_errors`, m.errors);
  }
} else if (mode === 'overlap') {
  const requests = Number(process.env.BENCH_REQUESTS ?? 20);
  const cookie = await signIn(berth, user, undefined, page);
  const rows = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await fetch(`${berth}${page}`, { headers: { cookie } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${page} answered ${response.status}`);
    rows.push({ client: performance.now() - started, ...serverTiming(response) });
  }
  const median = (key) => stats(rows.map((r) => r[key])).p50;
  console.log(`overlap: ${requests} pages one after another: page ${ms(median('total'))} in Berth (${ms(median('client'))} at the client); `
    + `slowest upstream call ${ms(median('upstream-slowest'))}, waiting on upstream ${ms(median('upstream'))}, all upstream calls added up ${ms(median('upstream-sum'))}`);
  report('overlap_total_ms', median('total').toFixed(2));
  report('overlap_slowest_ms', median('upstream-slowest').toFixed(2));
  report('overlap_sum_ms', median('upstream-sum').toFixed(2));
} else if (mode === 'signin') {
  console.log(await signIn(berth, user, undefined, page));
} else if (mode === 'pages') {
  const requests = Number(process.env.BENCH_REQUESTS ?? 100);
  const cookie = process.env.BENCH_COOKIE;
  if (!cookie) throw new Error('BENCH_COOKIE: the cookie header `node bench.mjs signin` printed');
  for (let i = 0; i < requests; i++) {
    const response = await fetch(`${berth}${page}`, { headers: { cookie, 'accept-encoding': 'br, gzip' }, redirect: 'manual' });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${page} answered ${response.status}`);
  }
  report('pages', requests);
} else {
  console.error('usage: node bench.mjs wire|overhead|overlap|signin|pages');
  process.exit(2);
}
