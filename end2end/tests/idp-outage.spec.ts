import { test, expect, request as playwrightRequest } from '@playwright/test';
import { berthWithForgingIdp } from './helpers';

// The identity provider down at sign-in: a Berth of its own trusts a provider it can switch off
// (end2end/stack/forging-idp.mjs in mode `down` drops every connection, as a crashed IdP would).
// Each outage must give a clear answer, sign nobody in, and sign-in must work once the IdP is back.
const idpPort = 5558;
const port = 3107;
const berth = `http://127.0.0.1:${port}`;
const clientSecret = 'outage-client-secret-7TbR2';

// Plain HTTP: JavaScript on or off makes no difference, so the JS-on project runs it.
test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'HTTP only; runs in the JS-on project');

let stack: Awaited<ReturnType<typeof berthWithForgingIdp>>;
const setMode = (mode: string) => stack.setMode(mode);

test.beforeAll(async () => {
  stack = await berthWithForgingIdp({
    idpPort, berthPort: port, clientSecret, berthEnv: { BERTH_OIDC_TIMEOUT_SECS: '2' },
    // Down before Berth ever reached it: Berth starts anyway and has no discovery document yet.
    initialMode: 'down',
  });
});

test.afterAll(async () => { await stack?.stop(); });

async function signedIn(browser: Awaited<ReturnType<typeof playwrightRequest.newContext>>) {
  const home = await browser.get(`${berth}/`, { maxRedirects: 0 });
  return home.status() === 200 && (await home.text()).includes('id="signed-in-as"');
}

test('the IdP down when sign-in starts: 502 with a clear message, not ready, and sign-in works once it is back', async () => {
  const browser = await playwrightRequest.newContext();
  try {
    await setMode('down');
    const login = await browser.get(`${berth}/auth/login`, { maxRedirects: 0 });
    expect(login.status()).toBe(502);
    expect(await login.text()).toContain('The identity provider is unreachable');
    expect(await signedIn(browser)).toBe(false);
    const ready = await browser.get(`${berth}/readyz`);
    expect(ready.status()).toBe(503);
    expect((await ready.json()).checks.oidc.ok).toBe(false);

    await setMode('valid');
    const back = await browser.get(`${berth}/auth/login`);
    expect(back.status()).toBe(200);
    expect(new URL(back.url()).pathname).toBe('/');
    expect(await signedIn(browser)).toBe(true);
    expect((await browser.get(`${berth}/readyz`)).status()).toBe(200);
  } finally {
    await browser.dispose();
  }
});

test('the IdP going down between its sign-in page and the code exchange: 502, nobody signed in, the next sign-in works', async () => {
  await setMode('valid');
  const browser = await playwrightRequest.newContext();
  try {
    // Berth sends the browser to the IdP, which sends it back with a code; the IdP fails before
    // Berth redeems the code.
    const toIdp = await browser.get(`${berth}/auth/login`, { maxRedirects: 0 });
    expect(toIdp.status()).toBeGreaterThanOrEqual(302);
    const toBerth = await browser.get(toIdp.headers().location, { maxRedirects: 0 });
    const callback = toBerth.headers().location;
    expect(callback).toContain('/auth/callback?code=');
    await setMode('down');
    const started = Date.now();
    const answer = await browser.get(callback, { maxRedirects: 0 });
    expect(answer.status()).toBe(502);
    const text = await answer.text();
    expect(text).toContain('The identity provider is unreachable');
    expect(text).not.toContain(clientSecret);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await signedIn(browser)).toBe(false);

    await setMode('valid');
    const again = await browser.get(`${berth}/auth/login`);
    expect(new URL(again.url()).pathname).toBe('/');
    expect(await signedIn(browser)).toBe(true);
  } finally {
    await browser.dispose();
  }
});
