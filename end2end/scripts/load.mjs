// Load: SESSIONS signed-in sessions (signed in through the real OIDC provider) each loading the team
// page and downloading the push secret, over and over for SECONDS. Prints p50/p99 per kind and exits
// non-zero on any error (a status other than 200, or a failed connection).
// Env: LOAD_BERTH_URL, LOAD_USER (bob), LOAD_TEAM (alpha), LOAD_SESSIONS (500), LOAD_SECONDS (60).
const berth = process.env.LOAD_BERTH_URL ?? 'http://127.0.0.1:3106';
const user = process.env.LOAD_USER ?? 'bob';
const password = process.env.LOAD_PASSWORD ?? `${user}-demo-pw`;
const team = process.env.LOAD_TEAM ?? 'alpha';
const sessions = Number(process.env.LOAD_SESSIONS ?? 500);
const seconds = Number(process.env.LOAD_SECONDS ?? 60);

/** A cookie jar per host, just enough for the sign-in's redirects. */
class Browser {
  jar = new Map();
  async fetch(url, init = {}) {
    for (let hop = 0; hop < 15; hop++) {
      const u = new URL(url);
      const cookies = this.jar.get(u.host) ?? new Map();
      const response = await fetch(u, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const at = pair.indexOf('=');
        cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
      }
      this.jar.set(u.host, cookies);
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) return response;
      await response.arrayBuffer();
      url = new URL(location, u).toString();
      init = {};
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

async function signIn() {
  const browser = new Browser();
  const form = await browser.fetch(`${berth}/auth/login?return_to=/teams/${team}`);
  const page = await form.text();
  const action = page.match(/action="([^"]+)"/)?.[1];
  if (!action) throw new Error(`no login form at ${form.url}: ${form.status}`);
  const back = await browser.fetch(new URL(action, form.url).toString(), {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user, password }).toString(),
  });
  const html = await back.text();
  if (back.status !== 200 || !html.includes('id="signed-in-as"')) throw new Error(`sign-in ended at ${back.status}`);
  const cookie = browser.jar.get(new URL(berth).host);
  return [...cookie].map(([k, v]) => `${k}=${v}`).join('; ');
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const signInStarted = performance.now();
const cookies = [];
for (let i = 0; i < sessions; i += 25) {
  cookies.push(...(await Promise.all(Array.from({ length: Math.min(25, sessions - i) }, signIn))));
}
console.log(`load: ${cookies.length} sessions of ${user} signed in in ${((performance.now() - signInStarted) / 1000).toFixed(1)} s`);

const kinds = { page: `/teams/${team}`, download: `/teams/${team}/downloads/docker-config.json` };
const latencies = { page: [], download: [] };
const errors = new Map();
const deadline = performance.now() + seconds * 1000;

async function session(cookie) {
  while (performance.now() < deadline) {
    for (const [kind, path] of Object.entries(kinds)) {
      const started = performance.now();
      try {
        const response = await fetch(`${berth}${path}`, { headers: { cookie }, redirect: 'manual' });
        await response.arrayBuffer();
        if (response.status === 200) latencies[kind].push(performance.now() - started);
        else errors.set(`${kind} ${response.status}`, (errors.get(`${kind} ${response.status}`) ?? 0) + 1);
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
  console.log(`load: ${kind.padEnd(8)} ${String(list.length).padStart(6)} ok in ${seconds} s (${(list.length / seconds).toFixed(0)}/s), p50 ${percentile(list, 50).toFixed(1)} ms, p99 ${percentile(list, 99).toFixed(1)} ms, max ${list.at(-1).toFixed(1)} ms`);
}
for (const [what, count] of errors) { console.log(`load: error ${what}: ${count}`); failed = true; }
console.log(`load: ${failed ? 'FAILED' : 'ok'}: ${sessions} sessions for ${seconds} s, ${[...errors.values()].reduce((a, b) => a + b, 0)} errors`);
process.exit(failed ? 1 : 0);
