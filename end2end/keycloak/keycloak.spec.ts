import { test, expect, type Page } from '@playwright/test';

// Berth signed in through a real Keycloak (end2end/stack/keycloak-realm.json): groups come as full
// paths (/team-alpha, /teams/team-beta), sign-out goes through Keycloak's end-session endpoint, and a
// realm key rotation needs no Berth restart. BERTH_URL is the Berth that trusts this Keycloak.
const keycloak = process.env.KEYCLOAK_URL!;
const realm = `${keycloak}/realms/berth`;

async function keycloakSignIn(page: Page, user: string, path = '/') {
  await page.goto(path);
  // Keycloak's own sign-in page.
  await expect(page.locator('#kc-login')).toBeVisible();
  expect(new URL(page.url()).origin).toBe(keycloak);
  await page.fill('#username', user);
  await page.fill('#password', `${user}-demo-pw`);
  await page.click('#kc-login');
  await page.waitForURL((url) => url.origin === new URL(process.env.BERTH_URL!).origin);
  await expect(page.locator('#signed-in-as')).toContainText(user);
}

async function teams(page: Page): Promise<string[]> {
  await page.goto('/');
  return page.locator('#team-list [data-team]').evaluateAll((els) => els.map((e) => e.getAttribute('data-team') ?? ''));
}

async function adminToken(): Promise<string> {
  const response = await fetch(`${keycloak}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: process.env.KEYCLOAK_ADMIN_PASSWORD! }),
  });
  expect(response.status).toBe(200);
  return (await response.json()).access_token;
}

test('groups as Keycloak sends them (full paths, nested ones too) give each user their teams', async ({ browser }) => {
  for (const [user, expected] of [['bob', ['alpha']], ['carol', ['beta']], ['dave', []]] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await keycloakSignIn(page, user);
    expect((await teams(page)).sort(), user).toEqual([...expected]);
    await context.close();
  }
  // carol is beta's team admin through /teams/team-beta-admin; alice a platform admin through /berth-admins.
  const context = await browser.newContext();
  const carol = await context.newPage();
  await keycloakSignIn(carol, 'carol', '/teams/beta');
  await expect(carol.locator('#manage')).toBeVisible();
  await context.close();
  const alice = await (await browser.newContext()).newPage();
  await keycloakSignIn(alice, 'alice', '/admin');
  await expect(alice.locator('#create-team')).toBeVisible();
});

test('sign-out ends the Keycloak session too', async ({ page }) => {
  await keycloakSignIn(page, 'bob');
  await page.click('#sign-out');
  await expect(page).toHaveURL(/\/signed-out$/);
  await expect(page.locator('#sign-in-again')).toBeVisible();
  // Keycloak asks again: its session ended with Berth's (no silent sign-in).
  await page.goto('/');
  await expect(page.locator('#kc-login')).toBeVisible();
});

test('a realm key rotation in Keycloak: new sign-ins keep working without restarting Berth', async ({ browser }) => {
  const before = await browser.newContext();
  await keycloakSignIn(await before.newPage(), 'bob');
  await before.close();
  // The signing keys Keycloak publishes (its encryption key is not one).
  const kids = async () => (await (await fetch(`${realm}/protocol/openid-connect/certs`)).json()).keys
    .filter((k: { use: string }) => k.use === 'sig').map((k: { kid: string }) => k.kid).sort();
  const old = await kids();

  // A new RSA key that signs from now on; the old one removed.
  const token = await adminToken();
  const admin = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const providers = await (await fetch(`${keycloak}/admin/realms/berth/components?type=org.keycloak.keys.KeyProvider`, { headers: admin })).json();
  const created = await fetch(`${keycloak}/admin/realms/berth/components`, {
    method: 'POST', headers: admin,
    body: JSON.stringify({ name: 'rsa-rotated', providerId: 'rsa-generated', providerType: 'org.keycloak.keys.KeyProvider',
      config: { priority: ['200'], enabled: ['true'], active: ['true'], keySize: ['2048'], algorithm: ['RS256'] } }),
  });
  expect(created.status).toBe(201);
  for (const p of providers.filter((p: { providerId: string }) => p.providerId === 'rsa-generated')) {
    expect((await fetch(`${keycloak}/admin/realms/berth/components/${p.id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
  }
  const now = await kids();
  expect(now.length).toBe(1);
  expect(old, 'the signing key changed').not.toContain(now[0]);

  // Berth fetches the keys again at most every 10 s; then the next sign-in just works.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const after = await browser.newContext();
  await keycloakSignIn(await after.newPage(), 'bob');
  await after.close();
});
