import { test, expect, request, type Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { jsOn, kubectl, signIn } from './helpers';

// Credentials people hold, through repair and rotation: a downloaded password survives a lost
// secret, a lost secret that needs a new token is announced, and the how-to's secret-store layout
// (username and password together) survives a rotation once both are updated.

const fakeHarbor = process.env.FAKE_HARBOR_URL ?? 'http://127.0.0.1:8089';
const registryHost = process.env.BERTH_REGISTRY_HOST ?? '127.0.0.1:8089';

/** What the registry answers to a login with these credentials (200 or 401). */
async function registryLogin(username: string, password: string): Promise<number> {
  const registry = await request.newContext();
  const answer = await registry.get(`${fakeHarbor}/v2/`, {
    headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  });
  await registry.dispose();
  return answer.status();
}

/** A team of its own per project (the journeys of other files keep alpha and beta as seeded). */
function applyTeam(team: string) {
  const manifest = JSON.stringify({
    apiVersion: 'berth.dev/v1alpha1', kind: 'Team', metadata: { name: team },
    spec: { groups: [`${team}-devs`], pushSecretDownload: true },
  });
  const file = `${process.env.TMPDIR ?? '/tmp'}/${team}.json`;
  writeFileSync(file, manifest);
  kubectl('apply', '--server-side', '--field-manager', 'e2e', '-f', file);
}

/** Runs `body` on a ready team of its own (namespace, Berth's RoleBinding, Team), offboarded after. */
async function withTeam(team: string, body: (namespace: string) => Promise<void>) {
  const namespace = `team-${team}`;
  onboardNamespace(namespace);
  applyTeam(team);
  try {
    await ready(team);
    await body(namespace);
  } finally {
    try { kubectl('delete', 'team', team, '--wait=true', '--timeout=60s'); } catch { /* already gone */ }
  }
}

function secretRobot(namespace: string): string {
  try {
    return kubectl('get', 'secret', '-n', namespace, 'harbor-pushsecret', '-o', 'jsonpath={.metadata.annotations.berth\\.dev/robot}');
  } catch { return ''; }
}

function auditActions(team: string): string[] {
  const events = JSON.parse(kubectl('get', 'events', '-n', 'default', '-l', 'berth.dev/audit=true', '-o', 'json')).items;
  return events.filter((e: any) => e.metadata.annotations['berth.dev/team'] === team).map((e: any) => e.metadata.annotations['berth.dev/action']);
}

/** The docker config a member downloads: the registry's username and password, as a CI secret store keeps them. */
async function downloadedLogin(page: Page, team: string): Promise<{ username: string; password: string }> {
  await page.goto(`/teams/${team}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-docker-config')]);
  const entry = JSON.parse(readFileSync(await download.path(), 'utf8')).auths[registryHost];
  return { username: entry.username, password: entry.password };
}

async function ready(team: string) {
  await expect.poll(() => {
    try { return kubectl('get', 'team', team, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'); } catch { return ''; }
  }, { timeout: 60_000 }).toBe('True');
}

test('a lost push secret comes back with the password people downloaded; without Berth\'s copy the page says to download again', async ({ page }, info) => {
  const team = `cred-${info.project.name}`;
  await withTeam(team, async (namespace) => {
    await signIn(page, 'alice', `/teams/${team}`);
    const held = await downloadedLogin(page, team);
    expect(await registryLogin(held.username, held.password)).toBe(200);

    kubectl('-n', namespace, 'delete', 'secret', 'harbor-pushsecret');
    await expect.poll(() => secretRobot(namespace), { timeout: 30_000 }).toBe(held.username);
    expect(await registryLogin(held.username, held.password), 'the downloaded copy still works').toBe(200);
    await expect.poll(() => auditActions(team), { timeout: 10_000 }).toContain('credentials-restored');
    await page.goto(`/teams/${team}`);
    await expect(page.locator('#warnings [data-kind="reissued"]')).toHaveCount(0);

    // Berth's copy gone too: the only way back is a new token, and the page says so.
    kubectl('-n', 'berth', 'delete', 'secret', `berth-tokens-${team}`);
    kubectl('-n', namespace, 'delete', 'secret', 'harbor-pushsecret');
    await expect.poll(() => secretRobot(namespace), { timeout: 30_000 }).toBe(held.username);
    await expect.poll(() => registryLogin(held.username, held.password), { timeout: 10_000 }).toBe(401);
    await expect.poll(() => auditActions(team), { timeout: 10_000 }).toContain('credentials-reissued');
    await page.goto(`/teams/${team}`);
    const warning = page.locator('#warnings [data-kind="reissued"]');
    await expect(warning).toContainText('re-issued');
    await expect(warning).toContainText('download again');
    const fresh = await downloadedLogin(page, team);
    expect(await registryLogin(fresh.username, fresh.password)).toBe(200);
    if (jsOn(info)) await page.screenshot({ path: info.outputPath('reissued.png'), fullPage: true });
  });
});

test('after a rotation past its grace period, the how-to\'s secret-store layout works once username and password are both updated', async ({ page }, info) => {
  const team = `rot-${info.project.name}`;
  await withTeam(team, async (namespace) => {
    await signIn(page, 'alice', `/teams/${team}`);
    // What the GitHub Actions how-to stores: HARBOR_PUSH_USERNAME and HARBOR_PUSH_PASSWORD.
    const howto = page.locator('#howto-github-actions');
    await expect(howto).toContainText('HARBOR_PUSH_USERNAME');
    await expect(howto).toContainText('secrets.HARBOR_PUSH_USERNAME');
    const store = await downloadedLogin(page, team);

    await page.click('#manage details.rotate-confirm[data-purpose="push"] summary');
    const confirm = page.locator('#manage details.rotate-confirm[data-purpose="push"] form');
    await expect(confirm).toContainText('stops working 5 seconds after the rotation');
    await page.click('#manage button.rotate[data-purpose="push"]');
    await expect(page.locator('#rotate-result')).toContainText('keeps working for 5 seconds');
    await expect.poll(() => secretRobot(namespace), { timeout: 30_000 }).not.toBe(store.username);

    // Past the grace period (5 s in the tests) the old robot is gone: the stored pair stops working.
    await expect.poll(() => registryLogin(store.username, store.password), { timeout: 30_000 }).toBe(401);
    // Updating both from a new download is all it takes.
    const updated = await downloadedLogin(page, team);
    expect(updated.username).not.toBe(store.username);
    expect(await registryLogin(updated.username, updated.password)).toBe(200);
    expect(auditActions(team)).toContain('rotation');
  });
});

function onboardNamespace(namespace: string) {
  try { kubectl('create', 'namespace', namespace); } catch { /* left by an earlier run */ }
  // What the platform grants Berth in every team namespace (deploy/chart/templates/rbac.yaml).
  try { kubectl('create', 'rolebinding', 'berth', '-n', namespace, '--clusterrole', 'berth-team-namespace', '--serviceaccount', 'berth:berth'); } catch { /* idem */ }
}
