// Load: SESSIONS signed-in sessions (signed in through the real OIDC provider) each loading the team
// page and downloading the push secret, over and over for SECONDS. Prints p50/p99 per kind and exits
// non-zero on any error (a status other than 200, or a failed connection).
// Env: LOAD_BERTH_URL, LOAD_USER (bob), LOAD_TEAM (alpha), LOAD_SESSIONS (500), LOAD_SECONDS (60),
// LOAD_ACCEPT_ENCODING (what the requests accept; default: what Node sends, which includes br).
import { signInMany, percentile } from './signin.mjs';

const berth = process.env.LOAD_BERTH_URL ?? 'http://127.0.0.1:3106';
const user = process.env.LOAD_USER ?? 'bob';
const team = process.env.LOAD_TEAM ?? 'alpha';
const sessions = Number(process.env.LOAD_SESSIONS ?? 500);
const seconds = Number(process.env.LOAD_SECONDS ?? 60);

const signInStarted = performance.now();
const cookies = await signInMany(berth, user, sessions, `/teams/${team}`);
console.log(`load: ${cookies.length} sessions of ${user} signed in in ${((performance.now() - signInStarted) / 1000).toFixed(1)} s`);

const kinds = { page: `/teams/${team}`, download: `/teams/${team}/downloads/docker-config.json` };
const latencies = { page: [], download: [] };
const errors = new Map();
const said = new Map();
const deadline = performance.now() + seconds * 1000;

async function session(cookie) {
  while (performance.now() < deadline) {
    for (const [kind, path] of Object.entries(kinds)) {
      const started = performance.now();
      try {
        const response = await fetch(`${berth}${path}`, { headers: { cookie, ...(process.env.LOAD_ACCEPT_ENCODING ? { 'accept-encoding': process.env.LOAD_ACCEPT_ENCODING } : {}) }, redirect: 'manual' });
        const body = await response.arrayBuffer();
        if (response.status === 200) latencies[kind].push(performance.now() - started);
        else {
          const key = `${kind} ${response.status}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
          // What the first such answer said (a message page's title), to tell the cause from the count.
          if (!said.has(key)) said.set(key, (new TextDecoder().decode(body).match(/<title>([^<]*)<\/title>/) ?? [, ''])[1]);
        }
      } catch (error) {
        errors.set(`${kind} ${error.cause?.code ?? error.message}`, (errors.get(`${kind} ${error.cause?.code ?? error.message}`) ?? 0) + 1);
      }
    }
  }
}

await Promise.all(cookies.map(session));
let failed = false;
for (const [kind, list] of Object.entries(latencies)) {
  list.sort((a, b) => a - b);
  // A kind with no answer at all in the run is a failure, said as such (not a crash on an empty list).
  if (list.length === 0) { console.log(`load: ${kind.padEnd(8)} none answered in ${seconds} s`); failed = true; continue; }
  console.log(`load: ${kind.padEnd(8)} ${String(list.length).padStart(6)} ok in ${seconds} s (${(list.length / seconds).toFixed(0)}/s), p50 ${percentile(list, 50).toFixed(1)} ms, p99 ${percentile(list, 99).toFixed(1)} ms, max ${list.at(-1).toFixed(1)} ms`);
}
for (const [what, count] of errors) { console.log(`load: error ${what}: ${count}${said.get(what) ? ` (first said: ${said.get(what)})` : ''}`); failed = true; }
console.log(`load: ${failed ? 'FAILED' : 'ok'}: ${sessions} sessions for ${seconds} s, ${[...errors.values()].reduce((a, b) => a + b, 0)} errors`);
process.exit(failed ? 1 : 0);
