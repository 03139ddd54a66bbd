import { test, expect } from '@playwright/test';
import { jsOn, kubectl, signIn } from './helpers';

// A platform admin onboarding a team whose namespace is not ready, and what each role is shown.

function teamState(team: string): string {
  try {
    return kubectl('get', 'team', team, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}');
  } catch { return ''; }
}

test('onboarding a team whose namespace does not exist prints the commands that make it ready, and the team page offers nothing that cannot work yet', async ({ page }, info) => {
  const team = `onb-${info.project.name}`;
  const namespace = `team-${team}`;
  try { kubectl('delete', 'team', team, '--wait=true'); } catch { /* not left over */ }
  try { kubectl('delete', 'namespace', namespace, '--wait=false'); } catch { /* idem */ }
  await expect.poll(() => {
    try { return kubectl('get', 'namespace', namespace, '-o', 'name'); } catch { return ''; }
  }, { timeout: 60_000 }).toBe('');
  try {
    await signIn(page, 'alice', '/admin');
    await page.fill('#create-team input[name="name"]', team);
    await page.fill('#create-team input[name="groups"]', `${team}-devs`);
    await page.check('#create-team input[name="push_secret_download"]');
    await page.click('#create-team button[type="submit"]');
    const result = page.locator('#create-result');
    await expect(result).toHaveClass(/success-note/);
    await expect(result).toContainText(`the namespace ${namespace} does not exist`);
    const commands = (await result.locator('.next-commands').textContent())!.trim().split('\n');
    expect(commands).toEqual([
      `kubectl create namespace ${namespace}`,
      `kubectl -n ${namespace} create rolebinding berth --clusterrole berth-team-namespace --serviceaccount berth:berth`,
    ]);
    expect(page.url()).not.toContain('__');
    if (jsOn(info)) await page.screenshot({ path: info.outputPath('onboard-commands.png'), fullPage: true });

    // The admin list says why the team is not ready.
    const row = page.locator(`#admin-teams tr[data-team="${team}"]`);
    await expect.poll(async () => {
      await page.goto('/admin');
      return row.locator('.team-state').textContent();
    }, { timeout: 30_000 }).toContain('NamespaceMissing');

    // Its page: no download that cannot work, and the secrets said to be not created yet.
    await page.goto(`/teams/${team}`);
    await expect(page.locator('#download-not-ready')).toBeVisible();
    await expect(page.locator('#download-docker-config')).toHaveCount(0);
    await expect(page.locator('#secrets [role=alert]')).toHaveCount(0);
    await expect(page.locator('#warnings [data-kind="secret-missing"]')).toHaveCount(0);

    // The platform runs the printed commands (against the stack), and Berth finishes on its own.
    for (const command of commands) {
      const [, ...args] = command.split(' ');
      kubectl(...args);
    }
    await expect.poll(() => teamState(team), { timeout: 60_000 }).toBe('True Reconciled');
    await page.goto('/admin');
    await expect(row.locator('.team-state')).toHaveText('ready');
    await page.goto(`/teams/${team}`);
    await expect(page.locator('#download-docker-config')).toBeVisible();
  } finally {
    try { kubectl('delete', 'team', team, '--wait=true', '--timeout=60s'); } catch { /* gone */ }
  }
});

test('a team over several namespaces: the form takes them, the team page says where the pull secret is and why not', async ({ page }, info) => {
  const team = `spread-${info.project.name}`;
  const home = `team-${team}`;
  const web = `${team}-web`;
  try { kubectl('delete', 'team', team, '--wait=true', '--timeout=60s'); } catch { /* not left over */ }
  for (const ns of [home, web]) {
    try { kubectl('create', 'namespace', ns); } catch { /* left over */ }
    try {
      kubectl('-n', ns, 'create', 'rolebinding', 'berth', '--clusterrole', 'berth-team-namespace', '--serviceaccount', 'berth:berth');
    } catch { /* left over */ }
  }
  try {
    await signIn(page, 'alice', '/admin');
    await page.fill('#create-team input[name="name"]', team);
    await page.fill('#create-team input[name="groups"]', `${team}-devs`);
    // beta's home namespace, one of its own, and one that does not exist.
    await page.fill('#create-team input[name="namespaces"]', `${web}, team-beta, ${team}-gone`);
    await page.click('#create-team button[type="submit"]');
    await expect(page.locator('#create-result')).toHaveClass(/success-note/);
    expect(kubectl('get', 'team', team, '-o', 'jsonpath={.spec.namespaces}')).toBe(`["${web}","team-beta","${team}-gone"]`);

    const item = (ns: string) => page.locator(`#namespaces li[data-namespace="${ns}"]`);
    await expect.poll(async () => {
      await page.goto(`/teams/${team}`);
      return item(web).getAttribute('data-state');
    }, { timeout: 60_000 }).toBe('Delivered');
    await expect(item(home)).toContainText('home: the pull, push and builds secrets');
    await expect(item(web)).toContainText('pull secret delivered');
    await expect(item('team-beta')).toHaveAttribute('data-state', 'Claimed');
    await expect(item('team-beta')).toContainText('team beta holds team-beta');
    await expect(item(`${team}-gone`)).toHaveAttribute('data-state', 'Missing');
    await expect(item(`${team}-gone`)).toContainText(`kubectl create namespace ${team}-gone`);
    await expect(page.locator('#state-ready')).toHaveAttribute('data-reason', 'NamespacesIncomplete');
    // Only the pull secret travels, and beta's own is untouched.
    expect(kubectl('-n', web, 'get', 'secrets', '-l', `berth.dev/team=${team}`, '-o', 'jsonpath={.items[*].metadata.name}')).toBe('harbor-pullsecret');
    expect(kubectl('-n', 'team-beta', 'get', 'secret', 'harbor-pullsecret', '-o', 'jsonpath={.metadata.labels.berth\\.dev/team}')).toBe('beta');
    if (jsOn(info)) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await page.locator('#namespaces').screenshot({ path: info.outputPath(`namespaces-${colorScheme}.png`) });
      }
    }
  } finally {
    try { kubectl('delete', 'team', team, '--wait=true', '--timeout=60s'); } catch { /* gone */ }
    for (const ns of [home, web]) {
      try { kubectl('delete', 'namespace', ns, '--wait=false'); } catch { /* gone */ }
    }
  }
  expect(kubectl('get', 'secret', '-n', 'team-beta', 'harbor-pullsecret', '-o', 'name').trim()).toBe('secret/harbor-pullsecret');
});

test('a typo in the delete confirmation leaves a clean address that does not repeat the error', async ({ page }) => {
  await signIn(page, 'alice', '/admin');
  const row = page.locator('#admin-teams tr[data-team="beta"]');
  await row.locator('input[name="confirm"]').fill('not-beta');
  await row.locator('.delete-team button').click();
  await expect(page.locator('[role=alert]')).toContainText('type its name to confirm');
  expect(new URL(page.url()).search).toBe('');
  await page.reload();
  await expect(page.locator('[role=alert]')).toHaveCount(0);
});

test('people see only the tabs and links of their role', async ({ browser }) => {
  const expectations: Record<string, { admin: boolean; tabs: string[] }> = {
    alice: { admin: true, tabs: ['Teams', 'Audit', 'System health', 'Harbor users'] },
    carol: { admin: false, tabs: ['Audit'] },
    erin: { admin: false, tabs: [] },
  };
  for (const [user, want] of Object.entries(expectations)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, user, '/audit');
    await expect(page.locator('header a[href="/admin"]')).toHaveCount(want.admin ? 1 : 0);
    if (want.tabs.length) {
      await expect(page.locator('#admin-nav a')).toHaveText(want.tabs);
    } else {
      await expect(page.locator('#admin-nav')).toHaveCount(0);
    }
    // A page of another role: the refusal only, no tabs and no form.
    if (!want.admin) {
      for (const path of ['/admin/health', '/admin/harbor-users', '/admin']) {
        await page.goto(path);
        await expect(page.locator('[role=alert]')).toBeVisible();
        await expect(page.locator('#admin-nav')).toHaveCount(0);
        await expect(page.locator('main form')).toHaveCount(0);
      }
    }
    await context.close();
  }
});

test('a person in no team is shown the groups to quote when asking to be added', async ({ page }) => {
  await signIn(page, 'dave');
  await expect(page.locator('#no-teams')).toBeVisible();
  await expect(page.locator('#your-groups')).toContainText('interns');
});
