import { test, expect, type Page } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { PASSWORDS } from './helpers';

// Attacks on the sign-in that need no forged token: each would let a stranger in if Berth accepted it.
const berth = process.env.BERTH_URL ?? 'http://127.0.0.1:3000';
const issuer = process.env.BERTH_OIDC_ISSUER ?? 'http://127.0.0.1:5556';

/** Starts a sign-in at Berth; returns the `state` of the authorization request Berth sent to the IdP. */
async function beginSignIn(page: Page): Promise<string> {
  let state = '';
  const watch = (request: { url(): string }) => {
    const url = new URL(request.url());
    if (url.origin === new URL(issuer).origin && url.searchParams.has('state')) state = url.searchParams.get('state')!;
  };
  page.on('request', watch);
  await page.goto(`${berth}/auth/login`);
  await expect(page.locator('#username')).toBeVisible();
  page.off('request', watch);
  expect(state).not.toBe('');
  return state;
}

/** Signs in at the IdP but keeps the answer from reaching Berth; returns that callback URL, its code
 * not redeemed. (Redirects cannot be intercepted, so the login form's POST is sent here and the IdP's
 * redirects followed by hand until one points at Berth.) */
async function interceptedCallback(page: Page, user: string, start: () => Promise<unknown> = () => beginSignIn(page)): Promise<URL> {
  let callback: URL | undefined;
  await page.route(`${issuer}/interaction/*/login`, async (route) => {
    let response = await route.fetch({ maxRedirects: 0 });
    for (let hop = 0; hop < 10 && !callback; hop++) {
      const location = response.headers()['location'];
      if (!location) break;
      const next = new URL(location, response.url());
      if (next.origin === new URL(berth).origin) callback = next;
      else response = await page.request.get(next.toString(), { maxRedirects: 0 });
    }
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p id="held">The answer was kept from Berth.</p>' });
  });
  await start();
  await page.fill('#username', user);
  await page.fill('#password', PASSWORDS[user]);
  await page.click('#submit');
  await expect(page.locator('#held')).toBeVisible();
  await page.unroute(`${issuer}/interaction/*/login`);
  expect(callback?.pathname).toBe('/auth/callback');
  return callback!;
}

/** Signed in: Berth's home page shows the user (signed out, it sends the browser to the IdP). */
async function signedIn(page: Page): Promise<boolean> {
  await page.goto(`${berth}/`);
  return new URL(page.url()).origin === new URL(berth).origin && (await page.locator('#signed-in-as').count()) > 0;
}

test('a callback without a sign-in in progress is refused', async ({ page }) => {
  const response = await page.goto(`${berth}/auth/callback?code=stolen&state=whatever`);
  expect(response?.status()).toBe(400);
  await expect(page.locator('#message')).toContainText('No sign-in is in progress');
  expect(await signedIn(page)).toBe(false);
});

test('a callback with a missing or forged state is refused and ends that sign-in', async ({ page }) => {
  for (const query of ['code=abc', 'code=abc&state=forged']) {
    await beginSignIn(page);
    const response = await page.goto(`${berth}/auth/callback?${query}`);
    expect(response?.status(), query).toBeGreaterThanOrEqual(400);
    // The pending sign-in was used up by the refused answer: the same answer again finds none.
    const again = await page.goto(`${berth}/auth/callback?${query}`);
    expect(again?.status(), query).toBe(400);
    expect(await signedIn(page)).toBe(false);
  }
});

test('a stolen authorization code is worthless in another browser, even inside its own sign-in', async ({ page, browser }) => {
  const victimCallback = await interceptedCallback(page, 'bob');
  const attacker = await browser.newPage();
  try {
    // Replayed as is: the attacker's browser has no sign-in in progress.
    expect((await attacker.goto(victimCallback.toString()))?.status()).toBe(400);
    // Injected into a sign-in of the attacker's own, under the victim's state: the state does not match.
    await beginSignIn(attacker);
    expect((await attacker.goto(victimCallback.toString()))?.status()).toBeGreaterThanOrEqual(400);
    // Under the attacker's own state: the state matches, but the code is bound to the victim's PKCE
    // challenge, and Berth redeems it with the attacker's verifier: the IdP refuses.
    const attackerState = await beginSignIn(attacker);
    const injected = new URL(victimCallback);
    injected.searchParams.set('state', attackerState);
    const response = await attacker.goto(injected.toString());
    expect(response?.status()).toBe(401);
    expect(await signedIn(attacker)).toBe(false);
  } finally {
    await attacker.close();
  }
});

test('an authorization code that signed someone in is refused the second time', async ({ page }) => {
  let callback = '';
  page.on('request', (request) => { if (request.url().startsWith(`${berth}/auth/callback`)) callback = request.url(); });
  await beginSignIn(page);
  await page.fill('#username', 'bob');
  await page.fill('#password', PASSWORDS.bob);
  await page.click('#submit');
  await expect(page.locator('#signed-in-as')).toContainText('bob');
  expect(callback).not.toBe('');
  expect((await page.goto(callback))?.status()).toBe(400);
});

test('a code redeemed without its PKCE verifier is refused by the provider, even with the client secret', async ({ page, request }) => {
  // The test is the client here, with a challenge of its own, so it can show the refusal is PKCE's:
  // the same code with the verifier is accepted.
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: 'berth', redirect_uri: `${berth}/auth/callback`, response_type: 'code', scope: 'openid',
    state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) authorize.searchParams.set(k, v);
  const callback = await interceptedCallback(page, 'bob', async () => {
    await page.goto(authorize.toString());
    await expect(page.locator('#username')).toBeVisible();
  });
  const discovery = await (await request.get(`${issuer}/.well-known/openid-configuration`)).json();
  const secret = process.env.BERTH_OIDC_CLIENT_SECRET ?? 'berth-demo-client-secret';
  const redeem = (extra: Record<string, string>) => request.post(discovery.token_endpoint, {
    headers: { authorization: `Basic ${Buffer.from(`berth:${secret}`).toString('base64')}` },
    form: { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: `${berth}/auth/callback`, ...extra },
  });
  const without = await redeem({});
  expect(without.status()).toBe(400);
  expect((await without.json()).error).toBe('invalid_grant');
  const withVerifier = await redeem({ code_verifier: verifier });
  expect(withVerifier.status()).toBe(200);
  expect((await withVerifier.json()).id_token).toBeTruthy();
});
