import { test, expect, request } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { confirmIdpSignOut, jsOn, kubectl, setDownload, signIn, submitIdpSignIn, teamNames } from './helpers';

const registryHost = process.env.BERTH_REGISTRY_HOST ?? '127.0.0.1:8089';
const fakeHarbor = process.env.FAKE_HARBOR_URL ?? 'http://127.0.0.1:8089';

test.beforeEach(() => {
  // The seed state: alpha may download, beta may not.
  setDownload('alpha', true);
  setDownload('beta', false);
});

test('each demo user sees exactly their teams', async ({ browser }) => {
  // Alice is a platform admin: every Team (the reconciler tests leave theirs behind).
  const everyTeam = kubectl('get', 'teams', '-o', 'jsonpath={.items[*].metadata.name}').split(' ').filter(Boolean).sort();
  const expected: Record<string, string[]> = { alice: everyTeam, bob: ['alpha'], carol: ['beta'], dave: [], erin: ['beta'] };
  for (const [user, teams] of Object.entries(expected)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, user);
    if (teams.length === 0) {
      await expect(page.locator('#no-teams')).toBeVisible();
    } else {
      expect(await teamNames(page)).toEqual(teams);
    }
    await context.close();
  }
});

test('the team page shows the Harbor project, the robots and the secrets', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  await expect(page).toHaveURL(/\/teams\/alpha$/);
  await expect(page.locator('#project-link')).toHaveText('team-alpha');
  await expect(page.locator('#project-repos')).toHaveText('3');
  await expect(page.locator('#project-storage')).toHaveText('1.2 GiB of 10.0 GiB');
  const robots = page.locator('#robots tr.robot');
  await expect(robots).toHaveCount(3);
  await expect(robots.filter({ hasText: 'robot$berth-alpha-push' })).toContainText('push repository');
  await expect(robots.filter({ hasText: 'robot$berth-alpha-pull' })).toContainText('never');
  for (const name of ['harbor-pullsecret', 'harbor-pushsecret', 'harbor-pushsecret-builds']) {
    await expect(page.locator(`#secrets tr[data-secret="${name}"]`)).toContainText('present');
  }
  await expect(page.locator('#secrets tr[data-secret="harbor-pushsecret-builds"]')).toContainText('Opaque');
});

test('bob downloads alpha\'s push secret as a docker config that logs in to the registry', async ({ page }) => {
  await signIn(page, 'bob', '/teams/alpha');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-docker-config')]);
  expect(download.suggestedFilename()).toBe('docker-config-alpha.json');
  const config = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const entry = config.auths[registryHost];
  expect(entry.username).toBe('robot$berth-alpha-push');
  expect(Buffer.from(entry.auth, 'base64').toString()).toBe(`${entry.username}:${entry.password}`);
  // The credentials are the push robot's current ones: the registry accepts them.
  const registry = await request.newContext();
  const login = await registry.get(`${fakeHarbor}/v2/`, {
    headers: { Authorization: `Basic ${Buffer.from(`${entry.username}:${entry.password}`).toString('base64')}` },
  });
  expect(login.status()).toBe(200);
  await registry.dispose();
  // The download is audited as an Event on the Team, with no secret in it.
  const events = kubectl('get', 'events', '-n', 'default', '-l', 'berth.dev/audit=true', '-o', 'json');
  const records = JSON.parse(events).items.filter((e: any) => e.metadata.annotations['berth.dev/actor'] === 'bob'
    && e.metadata.annotations['berth.dev/action'] === 'push-secret-download' && e.metadata.annotations['berth.dev/result'] === 'allowed');
  expect(records.length).toBeGreaterThan(0);
  expect(events).not.toContain(entry.password);
});

test('carol can download neither beta\'s (disabled) nor alpha\'s (not her team)', async ({ page }) => {
  await signIn(page, 'carol', '/teams/beta');
  await expect(page.locator('#download-disabled')).toBeVisible();
  await expect(page.locator('#download-docker-config')).toHaveCount(0);
  const beta = await page.request.get('/teams/beta/downloads/docker-config.json');
  expect(beta.status()).toBe(403);
  expect(await beta.text()).toContain('disabled for team beta');
  const alpha = await page.request.get('/teams/alpha/downloads/docker-config.json');
  // Someone else's team answers like a missing one.
  expect(alpha.status()).toBe(404);
  expect(await alpha.text()).not.toContain('robot$');
  const alphaPage = await page.goto('/teams/alpha');
  expect(alphaPage?.status()).toBe(404);
  await expect(page.locator('#not-found')).toBeVisible();
});

test('alice enables beta and carol\'s next visit offers the download', async ({ browser }, info) => {
  const admin = await browser.newContext();
  const alice = await admin.newPage();
  await signIn(alice, 'alice', '/admin');
  const row = alice.locator('#admin-teams tr[data-team="beta"]');
  await expect(row.locator('.download-state')).toHaveText('disabled');
  await row.locator('button.toggle-download').click();
  await expect(row.locator('.download-state')).toHaveText('enabled');
  expect(kubectl('get', 'team', 'beta', '-o', 'jsonpath={.spec.pushSecretDownload}')).toBe('true');
  await admin.close();

  const member = await browser.newContext();
  const carol = await member.newPage();
  await signIn(carol, 'carol', '/teams/beta');
  await expect(carol.locator('#download-docker-config')).toBeVisible();
  const [download] = await Promise.all([carol.waitForEvent('download'), carol.click('#download-docker-config')]);
  expect(download.suggestedFilename()).toBe('docker-config-beta.json');
  await member.close();
  info.annotations.push({ type: 'toggle', description: 'beta enabled through the admin page' });
});

test('only platform admins may toggle, whatever the UI shows', async ({ page }) => {
  await signIn(page, 'bob');
  const admin = await page.goto('/admin');
  await expect(page.locator('[role=alert]')).toContainText('Only platform admins');
  expect(admin?.status()).toBe(403);
  const response = await page.request.post('/api/set_push_secret_download', {
    form: { team: 'beta', enabled: 'true' },
    headers: { Accept: 'application/json' },
  });
  // Not bob's team: answered like a missing one (the authorization matrix covers every persona).
  expect(response.status()).toBe(404);
  expect(kubectl('get', 'team', 'beta', '-o', 'jsonpath={.spec.pushSecretDownload}')).toBe('false');
});

test('a page asked for while signed out comes back after sign-in; sign-out ends the session', async ({ page }, info) => {
  await signIn(page, 'dave', '/teams/alpha?from=bookmark');
  await expect(page).toHaveURL(/\/teams\/alpha\?from=bookmark$/);
  await expect(page.locator('#not-found')).toBeVisible();
  await page.goto('/');
  await page.click('#sign-out');
  if (!jsOn(info)) {
    // Without JavaScript the demo oidc-provider's logout page waits for its button (Keycloak's does not).
    await confirmIdpSignOut(page);
  }
  await expect(page.locator('#sign-in-again')).toBeVisible();
  await expect(page).toHaveURL(/\/signed-out$/);
  await page.goto('/');
  await expect(page.locator('#username')).toBeVisible();
});

test('an unknown team is a 404 page', async ({ page }) => {
  await signIn(page, 'alice');
  const response = await page.goto('/teams/does-not-exist');
  expect(response?.status()).toBe(404);
  await expect(page.locator('#not-found')).toBeVisible();
});

test('the session cookie is HttpOnly and SameSite=Lax, and its id changes at sign-in', async ({ page, context }) => {
  await page.goto('/teams/alpha');
  await expect(page.locator('#username')).toBeVisible();
  const before = (await context.cookies()).find((c) => c.name === 'berth_session');
  expect(before, 'the pending sign-in lives in a session').toBeDefined();
  await submitIdpSignIn(page, 'bob');
  await expect(page.locator('#signed-in-as')).toContainText('bob');
  const after = (await context.cookies()).find((c) => c.name === 'berth_session');
  expect(after?.httpOnly).toBe(true);
  expect(after?.sameSite).toBe('Lax');
  expect(after?.value).not.toBe(before?.value);
});
