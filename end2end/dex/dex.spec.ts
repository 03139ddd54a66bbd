import { test, expect, type Page } from '@playwright/test';

// Berth signed in through a real Dex (end2end/scripts/dex.sh: its password database holds the demo users
// of end2end/stack/users.json with their groups). Dex puts `groups` in the ID token only for the `groups`
// scope, which Berth asks for by default (BERTH_OIDC_SCOPES). Dex has no end-session endpoint, so
// Berth's sign-out ends Berth's own session. BERTH_URL is the Berth that trusts this Dex.
const dex = new URL(process.env.DEX_URL!).origin;
const issuer = process.env.DEX_ISSUER!;
const berth = new URL(process.env.BERTH_URL!).origin;

const names: Record<string, string> = { bob: 'Bob Builder', carol: 'Carol Coder', dave: 'Dave Newcomer' };

async function dexSignIn(page: Page, user: string, path = '/') {
  await page.goto(path);
  await page.waitForURL((url) => url.origin === dex);
  // With several connectors Dex shows a chooser first; with only its password database it goes
  // straight to the form. Either is fine.
  const form = page.locator('#login');
  const chooser = page.locator('a[href*="/auth/local"]');
  await expect(form.or(chooser).first()).toBeVisible();
  if (!(await form.isVisible())) await chooser.first().click();
  // Dex's password database signs users in by e-mail address.
  await page.fill('#login', `${user}@example.test`);
  await page.fill('#password', `${user}-demo-pw`);
  await page.click('#submit-login');
  await page.waitForURL((url) => url.origin === berth);
  // name and preferred_username from Dex's ID token.
  await expect(page.locator('#signed-in-as')).toHaveText(`${names[user]} (${user})`);
}

async function teams(page: Page): Promise<string[]> {
  await page.goto('/');
  return page.locator('#team-list [data-team]').evaluateAll((els) => els.map((e) => e.getAttribute('data-team') ?? ''));
}

test('groups from Dex give each user their teams', async ({ browser }) => {
  // team-alpha names alpha; /teams/team-beta (a path, as Dex passes any group string through) names beta.
  for (const [user, expected] of [['bob', ['alpha']], ['carol', ['beta']], ['dave', []]] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await dexSignIn(page, user);
    expect((await teams(page)).sort(), user).toEqual([...expected]);
    await context.close();
  }
});

test('sign-out ends the Berth session (Dex has no end-session endpoint)', async ({ page, browser }) => {
  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  expect(discovery.issuer).toBe(issuer);
  expect(discovery.scopes_supported).toContain('groups');
  expect(discovery.end_session_endpoint, 'Dex offers RP-initiated logout now: test it like Keycloak').toBeUndefined();

  await dexSignIn(page, 'bob');
  const cookies = await page.context().cookies(berth);
  expect(cookies.length).toBeGreaterThan(0);
  await page.click('#sign-out');
  await expect(page).toHaveURL(`${berth}/signed-out`);
  await expect(page.locator('#sign-in-again')).toBeVisible();

  // The session is gone on the server, not only from this browser: its old cookie signs nobody in.
  const replay = await browser.newContext();
  await replay.addCookies(cookies);
  const response = await replay.request.get(`${berth}/`, { maxRedirects: 0 });
  expect(response.status()).toBe(303);
  expect(response.headers()['location']).toMatch(/^\/auth\/login\?return_to=/);
  await replay.close();

  // Back to Berth: sign-in again, at Dex's form (Dex keeps no session of its own to sign in silently).
  await page.goto('/');
  await page.waitForURL((url) => url.origin === dex);
  await expect(page.locator('#login').or(page.locator('a[href*="/auth/local"]')).first()).toBeVisible();
});
