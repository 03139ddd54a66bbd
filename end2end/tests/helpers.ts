import { expect, request, type APIRequestContext, type Page, type TestInfo } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PASSWORDS: Record<string, string> = {
  alice: 'alice-demo-pw', bob: 'bob-demo-pw', carol: 'carol-demo-pw', dave: 'dave-demo-pw', erin: 'erin-demo-pw',
};

export const jsOn = (info: TestInfo) => info.project.name === 'js-on';

/** Fills in the identity provider's sign-in form the browser is on and submits it: the demo
 * oidc-provider's (button #submit) or Keycloak's (#kc-login); both name the fields #username and #password. */
export async function submitIdpSignIn(page: Page, user: string, password = PASSWORDS[user]) {
  await expect(page.locator('#username')).toBeVisible();
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.locator('#submit, #kc-login').click();
}

/** Signs in at the IdP from wherever Berth sent the browser, and waits to be back at Berth. */
export async function signIn(page: Page, user: string, path = '/', berthUrl = process.env.BERTH_URL ?? 'http://127.0.0.1:3000') {
  await page.goto(new URL(path, berthUrl).toString());
  await submitIdpSignIn(page, user);
  await page.waitForURL((url) => url.origin === new URL(berthUrl).origin);
  await expect(page.locator('#signed-in-as')).toContainText(user);
}

/** Signs in over plain HTTP (no browser): a cookie jar holding a Berth session of `user`. Posts the
 * IdP's sign-in form (the one with a `username` field) to its action, with the IdP's cookies: the demo
 * oidc-provider's /interaction/<uid>/login, or Keycloak's login-actions/authenticate?session_code=... */
export async function apiSignIn(user: string, berthUrl = process.env.BERTH_URL ?? 'http://127.0.0.1:3000'): Promise<APIRequestContext> {
  const jar = await request.newContext();
  const page = await jar.get(`${berthUrl}/auth/login`);
  expect(page.status(), 'the IdP\'s sign-in page').toBe(200);
  const form = [...(await page.text()).matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)]
    .find(([, , body]) => /\bname="username"/.test(body));
  const action = form?.[1].match(/\baction="([^"]*)"/)?.[1];
  expect(action, `a sign-in form at ${page.url()}`).toBeTruthy();
  const target = new URL(action!.replace(/&amp;/g, '&'), page.url());
  const back = await jar.post(target.toString(), { form: { username: user, password: PASSWORDS[user] } });
  expect(new URL(back.url()).origin, `${user} signed in and back at Berth`).toBe(new URL(berthUrl).origin);
  expect(back.status()).toBe(200);
  return jar;
}

/** After Berth's sign-out without JavaScript: the demo oidc-provider's logout page waits for its button
 * (with JavaScript it presses it itself); Keycloak, given the ID token hint, sends the browser straight
 * back to Berth's /signed-out. */
export async function confirmIdpSignOut(page: Page) {
  const ask = page.locator('#logout-yes');
  await expect(ask.or(page.locator('#sign-in-again'))).toBeVisible();
  if (await ask.isVisible()) await ask.click();
}

/** kubectl as the stack's admin (to check what Berth changed, never to act for Berth). */
export function kubectl(...args: string[]): string {
  const kubeconfig = process.env.BERTH_STACK_ADMIN_KUBECONFIG;
  if (!kubeconfig) throw new Error('BERTH_STACK_ADMIN_KUBECONFIG is not set: run through `make test`');
  // A large buffer: after the load test the audit Events alone run to tens of megabytes.
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
}

export function setDownload(team: string, enabled: boolean) {
  kubectl('patch', 'team', team, '--type', 'merge', '-p', JSON.stringify({ spec: { pushSecretDownload: enabled } }));
}

export async function teamNames(page: Page): Promise<string[]> {
  return page.locator('#team-list [data-team]').evaluateAll((els) => els.map((e) => e.getAttribute('data-team') ?? ''));
}

/** Another Berth process (UI only) on `port`, with the stack's settings plus `env`; its output goes to
 * $STACK/replica-<port>.log, which the secret search at the end of `make test` reads. */
export function spawnBerth(port: number, env: Record<string, string>): ChildProcess {
  const binary = fileURLToPath(new URL('../../target/release/berth', import.meta.url));
  const log = openSync(`${process.env.STACK ?? '.'}/replica-${port}.log`, 'a');
  return spawn(binary, [], {
    env: { ...process.env, LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, BERTH_RECONCILE: 'off', BERTH_INSTANCE: `replica-${port}`, ...env },
    stdio: ['ignore', log, log],
  });
}

/** Kills a process a test started and waits until it is gone: the next test may listen on its port,
 * and `kill` only sends the signal. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  // A graceful stop that hangs must not hang the suite.
  const stuck = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(stuck);
}

/** Waits until `url` answers 2xx, as the other specs wait for a Berth they started. */
export const answering = (url: string) =>
  expect.poll(() => fetch(url).then((r) => r.ok, () => false), { timeout: 20_000 }).toBe(true);

/** A provider of the test's own (end2end/stack/forging-idp.mjs: it signs whatever its mode says, or
 * is down) and a Berth on `berthPort` that trusts it. `initialMode` is set before Berth starts (`down`:
 * Berth's first look at the provider already fails). */
export async function berthWithForgingIdp(options: {
  idpPort: number; berthPort: number; clientSecret: string; berthEnv?: Record<string, string>; initialMode?: string;
}) {
  const idp = `http://127.0.0.1:${options.idpPort}`;
  const berth = `http://127.0.0.1:${options.berthPort}`;
  const setMode = (mode: string) => fetch(`${idp}/__mode`, { method: 'POST', body: JSON.stringify({ mode }) });
  const provider = spawn('node', [fileURLToPath(new URL('../stack/forging-idp.mjs', import.meta.url))], {
    env: { ...process.env, FORGER_PORT: String(options.idpPort), FORGER_CLIENT_SECRET: options.clientSecret, FORGER_REDIRECT_URI: `${berth}/auth/callback` },
    stdio: 'ignore',
  });
  let replica: ChildProcess | undefined;
  const stop = () => Promise.all([replica && stopProcess(replica, 'SIGTERM'), stopProcess(provider, 'SIGTERM')]);
  try {
    await answering(`${idp}/.well-known/openid-configuration`);
    if (options.initialMode) await setMode(options.initialMode);
    replica = spawnBerth(options.berthPort, {
      BERTH_PUBLIC_URL: berth, BERTH_OIDC_ISSUER: idp, BERTH_OIDC_CLIENT_ID: 'berth', BERTH_OIDC_CLIENT_SECRET: options.clientSecret,
      ...options.berthEnv,
    });
    await answering(`${berth}/healthz`);
  } catch (error) {
    // Nothing is left holding the ports for the next test (the caller never gets `stop`).
    await stop();
    throw error;
  }
  return {
    idp, berth, setMode,
    stop,
  };
}
