// Signing in to Berth through the real OIDC provider over plain HTTP (no browser), for the load test
// and the benchmarks: follows the redirects with a cookie jar per host and returns Berth's cookie.

/** A cookie jar per host, just enough for the sign-in's redirects. */
export class Browser {
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

/** Signs `user` in to the Berth at `berth` and returns the `cookie` header of the session. */
export async function signIn(berth, user, password = `${user}-demo-pw`, returnTo = '/') {
  const browser = new Browser();
  const form = await browser.fetch(`${berth}/auth/login?return_to=${encodeURIComponent(returnTo)}`);
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

/** `count` sessions of `user`, signed in 25 at a time. */
export async function signInMany(berth, user, count, returnTo = '/') {
  const cookies = [];
  for (let i = 0; i < count; i += 25) {
    cookies.push(...(await Promise.all(Array.from({ length: Math.min(25, count - i) }, () => signIn(berth, user, undefined, returnTo)))));
  }
  return cookies;
}

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
