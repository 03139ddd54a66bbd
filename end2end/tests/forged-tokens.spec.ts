import { test, expect, request as playwrightRequest } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { berthWithForgingIdp } from './helpers';

// Forged ID tokens: a Berth trusts an attacker's provider (end2end/stack/forging-idp.mjs) that signs
// whatever it is told to. Its `valid` token signs in, so every other refusal is Berth's own check.
const forgerPort = 5557;
const forger = `http://127.0.0.1:${forgerPort}`;
const port = 3105;
const berth = `http://127.0.0.1:${port}`;
const clientSecret = 'forger-client-secret-4PqL9';

// Plain HTTP: JavaScript on or off makes no difference, so the JS-on project runs it.
test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'HTTP only; runs in the JS-on project');

let stack: Awaited<ReturnType<typeof berthWithForgingIdp>>;

test.beforeAll(async () => {
  stack = await berthWithForgingIdp({ idpPort: forgerPort, berthPort: port, clientSecret });
});

test.afterAll(async () => { await stack?.stop(); });

/** One whole sign-in through the forger in `mode`, in a fresh cookie jar: the callback's answer and
 * whether the browser is signed in afterwards. */
async function signInWith(mode: string) {
  await stack.setMode(mode);
  const browser = await playwrightRequest.newContext();
  try {
    const callback = await browser.get(`${berth}/auth/login`);
    const home = await browser.get(`${berth}/`, { maxRedirects: 0 });
    const signedIn = home.status() === 200 && (await home.text()).includes('id="signed-in-as"');
    return { status: callback.status(), path: new URL(callback.url()).pathname, body: await callback.text(), signedIn };
  } finally {
    await browser.dispose();
  }
}

test('a correct token from the same provider signs in (the baseline every refusal below is measured against)', async () => {
  const result = await signInWith('valid');
  expect(result.signedIn).toBe(true);
  expect(result.path).toBe('/');
});

/** The reason Berth logged for the latest refused sign-in (so a refusal for the wrong reason fails). */
function lastRefusal(): string {
  const lines = readFileSync(`${process.env.STACK ?? '.'}/replica-${port}.log`, 'utf8').split('\n').filter((l) => l.includes('sign-in failed'));
  return lines.at(-1) ?? '';
}

// Mode, what the token has, and the reason Berth must give.
const forgeries: [string, string, string][] = [
  ['wrong-issuer', 'another issuer', 'Invalid issuer'],
  ['wrong-audience', 'another client as audience', 'Invalid audiences'],
  ['expired', 'an expiry in the past', 'ID token expired'],
  ['not-yet-valid', 'nbf an hour ahead', 'not valid yet'],
  ['issued-in-the-future', 'iat an hour ahead', 'in the future'],
  ['alg-none', 'alg: none and no signature', 'No signature found'],
  ['bad-signature', 'one bit of the signature flipped', 'bad signature'],
  ['known-kid-other-key', 'the trusted key id, signed by another key', 'bad signature'],
  ['unknown-key', 'a key id the JWKS does not hold', 'No matching key'],
  ['hs256-public-key', 'HS256 with the public key as HMAC secret', 'Disallowed signature algorithm'],
  ['nonce-mismatch', 'a nonce this sign-in never sent', 'nonce mismatch'],
  ['nonce-missing', 'no nonce', 'missing nonce'],
  ['nonce-replay', 'a correct token of an earlier sign-in, replayed', 'nonce mismatch'],
];

for (const [mode, what, reason] of forgeries) {
  test(`an ID token with ${what} is refused (${mode})`, async () => {
    if (mode === 'nonce-replay') expect((await signInWith('valid')).signedIn).toBe(true);
    const result = await signInWith(mode);
    expect(result.path).toBe('/auth/callback');
    expect(result.status).toBe(401);
    expect(result.body).toContain('Sign-in failed');
    expect(result.signedIn).toBe(false);
    expect(lastRefusal()).toContain(reason);
  });
}

test('every code Berth redeemed carried its client secret and the PKCE verifier of an S256 challenge', async () => {
  await signInWith('valid');
  const log: { clientAuthenticated: boolean; verifierSent: boolean; pkce: boolean }[] = await (await fetch(`${forger}/__log`)).json();
  expect(log.length).toBeGreaterThan(0);
  for (const entry of log) expect(entry).toMatchObject({ clientAuthenticated: true, verifierSent: true, pkce: true });
});
