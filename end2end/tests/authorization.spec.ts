import { test, expect, request, type APIRequestContext } from '@playwright/test';
import { apiSignIn, kubectl, setDownload } from './helpers';

// The authorization matrix: every route and every server function, asked by five personas about team
// beta. The expected answers are the table below; any answer that differs fails, and so does any body
// that shows a secret (outside an allowed download) or, to someone outside beta, beta's data.
const berth = process.env.BERTH_URL ?? 'http://127.0.0.1:3000';

type Persona = 'anonymous' | 'otherTeam' | 'member' | 'teamAdmin' | 'platformAdmin';
const users: Record<Exclude<Persona, 'anonymous'>, string> = {
  otherTeam: 'bob', // member of alpha only
  member: 'erin', // member of beta, not its admin
  teamAdmin: 'carol', // member and admin of beta
  platformAdmin: 'alice', // berth-admins (and alpha), not in beta's groups
};

/** `login`: sent to sign in (a redirect to /auth/login); a number: that status. */
type Expected = number | 'login';
type Row = { what: string; method: 'GET' | 'POST'; path: string; form?: Record<string, string>; expect: Record<Persona, Expected> };

const fn = (name: string, form: Record<string, string>, expect: Record<Persona, Expected>): Row =>
  ({ what: `server function ${name}`, method: 'POST', path: `/api/${name}`, form, expect });
const page = (path: string, expect: Record<Persona, Expected>): Row => ({ what: `page ${path}`, method: 'GET', path, expect });
const everyone = (status: Expected): Record<Persona, Expected> =>
  ({ anonymous: status, otherTeam: status, member: status, teamAdmin: status, platformAdmin: status });

// Beta's download is switched on for the matrix (and back off after it), so "member" means allowed.
// Where an allowed call would change something, it is given a harmless argument that fails after the
// authorization check (400), or repeats the current value; rotation really rotates beta's builds robot.
//                                                              anonymous  other  member  team admin  platform admin
const matrix: Row[] = [
  page('/',                                   { anonymous: 'login', otherTeam: 200, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  page('/teams/beta',                         { anonymous: 'login', otherTeam: 404, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  page('/admin',                              { anonymous: 'login', otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  page('/admin/health',                       { anonymous: 'login', otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  page('/admin/harbor-users',                 { anonymous: 'login', otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  page('/audit',                              { anonymous: 'login', otherTeam: 403, member: 403, teamAdmin: 200, platformAdmin: 200 }),
  page('/audit?team=alpha',                   { anonymous: 'login', otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  page('/teams/beta/downloads/docker-config.json', { anonymous: 'login', otherTeam: 404, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  page('/teams/beta/downloads/auth.json',     { anonymous: 'login', otherTeam: 404, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  page('/teams/beta/downloads/secret.yaml',   { anonymous: 'login', otherTeam: 404, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  page('/teams/nonexistent/downloads/docker-config.json', { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/signed-out',                         everyone(200)),
  page('/healthz',                            everyone(200)),
  page('/readyz',                             everyone(200)),
  page('/metrics',                            everyone(200)),
  fn('current_user', {},                      everyone(200)),
  // Only ever the caller's own session's outcome of its last form post (none here).
  fn('take_flash', {},                        everyone(200)),
  fn('list_teams', {},                        { anonymous: 401, otherTeam: 200, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  // The caller's own groups, from their session.
  fn('my_groups', {},                         { anonymous: 401, otherTeam: 200, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  fn('load_team', { name: 'beta' },           { anonymous: 401, otherTeam: 404, member: 200, teamAdmin: 200, platformAdmin: 200 }),
  fn('load_team', { name: 'nonexistent' },    { anonymous: 401, otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  fn('admin_teams', {},                       { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  fn('set_push_secret_download', { team: 'beta', enabled: 'true' },
                                              { anonymous: 401, otherTeam: 404, member: 403, teamAdmin: 200, platformAdmin: 200 }),
  fn('rotate_credentials', { team: 'beta', purpose: 'builds' },
                                              { anonymous: 401, otherTeam: 404, member: 403, teamAdmin: 200, platformAdmin: 200 }),
  fn('create_team', { name: 'Not A Team Name', groups: '' },
                                              { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 400 }),
  fn('delete_team', { team: 'beta', confirm: 'not-beta' },
                                              { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 400 }),
  fn('delete_team', { team: 'nonexistent', confirm: 'nonexistent' },
                                              { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 404 }),
  fn('load_system_health', {},                { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  fn('search_harbor_users', { query: 'bob' }, { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  fn('delete_harbor_user', { user_id: '1', confirm: 'not-admin' },
                                              { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 400 }),
  fn('load_audit_log', {},                    { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 200, platformAdmin: 200 }),
  fn('load_audit_log', { team: 'beta' },      { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 200, platformAdmin: 200 }),
  fn('load_audit_log', { team: 'alpha' },     { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 200 }),
  // Malformed names and arguments: refused where they enter (404 in an address, 400 as an argument),
  // alike for everyone signed in, before anything is asked of Kubernetes or Harbor.
  page('/teams/beta%3Fx',                     { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/beta%2Fstatus',                { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/Beta',                         { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/beta%3Fx/downloads/password.txt', { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/beta%2Fstatus/downloads/docker-config.json', { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/be--ta/downloads/auth.json',   { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/beta/downloads/..%2Fpassword.txt', { anonymous: 'login', otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  page('/teams/beta/downloads/secret.yaml?namespace=..%2Fkube-system', { anonymous: 'login', otherTeam: 404, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  page('/audit?team=beta%2Fstatus',           { anonymous: 'login', otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  page('/audit?action=drop-tables',           { anonymous: 'login', otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  fn('load_team', { name: 'beta?x' },         { anonymous: 401, otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  fn('load_team', { name: 'a'.repeat(41) },   { anonymous: 401, otherTeam: 404, member: 404, teamAdmin: 404, platformAdmin: 404 }),
  fn('set_push_secret_download', { team: 'beta/status', enabled: 'true' },
                                              { anonymous: 401, otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  fn('set_push_secret_download', { team: 'beta', enabled: 'maybe' }, everyone(400)),
  fn('set_push_secret_download', { team: 'beta' }, everyone(400)),
  fn('rotate_credentials', { team: 'BETA', purpose: 'push' },
                                              { anonymous: 401, otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  fn('rotate_credentials', { team: 'beta', purpose: 'all' },
                                              { anonymous: 401, otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  fn('create_team', { name: 'a--b', groups: '' },
                                              { anonymous: 401, otherTeam: 403, member: 403, teamAdmin: 403, platformAdmin: 400 }),
  fn('create_team', {},                       everyone(400)),
  fn('delete_team', { team: '../beta', confirm: '../beta' },
                                              { anonymous: 401, otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  fn('delete_harbor_user', { user_id: '99999999999999999999', confirm: 'x' }, everyone(400)),
  fn('delete_harbor_user', { user_id: '-3', confirm: 'x' },
                                              { anonymous: 401, otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
  fn('load_audit_log', { team: 'beta%2F' },   { anonymous: 401, otherTeam: 400, member: 400, teamAdmin: 400, platformAdmin: 400 }),
];

type Secret = { metadata: { name: string }; data?: Record<string, string> };

/** Robot tokens of the secrets Berth keeps in a namespace (only those named `only`, when given). */
function robotTokens(namespace: string, only?: string): string[] {
  const list = JSON.parse(kubectl('get', 'secrets', '-n', namespace, '-l', 'app.kubernetes.io/managed-by=berth', '-o', 'json'));
  return (list.items as Secret[]).filter((s) => !only || s.metadata.name === only).flatMap((secret) => {
    const config = secret.data?.['.dockerconfigjson'];
    if (!config) return [];
    const auths = JSON.parse(Buffer.from(config, 'base64').toString()).auths as Record<string, { password: string }>;
    return Object.values(auths).map((a) => a.password);
  });
}

// Plain HTTP: JavaScript on or off makes no difference, so the JS-on project runs it.
test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'HTTP only; runs in the JS-on project');

const isDownload = (row: Row) => row.path.includes('/downloads/');

/** The body with every base64 run in it decoded beside it (twice: a Secret manifest holds a base64
 * docker config whose `auth` is base64 again), so an encoded secret is found too. */
function withDecoded(body: string): string {
  let text = body;
  for (let round = 0; round < 2; round++) {
    const runs = text.match(/[A-Za-z0-9+/]{12,}={0,2}/g) ?? [];
    text += '\n' + runs.map((run) => Buffer.from(run, 'base64').toString('latin1')).join('\n');
  }
  return text;
}

test('every route and server function answers each persona as the table says, and shows nothing it should not', async () => {
  test.setTimeout(120_000);
  setDownload('beta', true);
  const jars: Record<Persona, APIRequestContext> = {
    anonymous: await request.newContext(),
    otherTeam: await apiSignIn(users.otherTeam),
    member: await apiSignIn(users.member),
    teamAdmin: await apiSignIn(users.teamAdmin),
    platformAdmin: await apiSignIn(users.platformAdmin),
  };
  const otherSecrets = [
    process.env.BERTH_OIDC_CLIENT_SECRET, process.env.BERTH_HARBOR_PASSWORD, process.env.BERTH_SESSION_KEY, ...robotTokens('team-alpha'),
  ].filter((s): s is string => Boolean(s));
  const differences: string[] = [];
  try {
    for (const row of matrix) {
      // Read for each row: the rotation in the table replaces beta's builds token.
      const betaTokens = robotTokens('team-beta');
      const betaPush = robotTokens('team-beta', 'harbor-pushsecret');
      for (const persona of Object.keys(row.expect) as Persona[]) {
        const jar = jars[persona];
        const headers = { Accept: 'application/json' };
        const response = row.method === 'GET'
          ? await jar.get(`${berth}${row.path}`, { maxRedirects: 0 })
          : await jar.post(`${berth}${row.path}`, { form: row.form, headers, maxRedirects: 0 });
        const status = response.status();
        const location = response.headers()['location'] ?? '';
        const got: Expected = [302, 303, 307].includes(status) && location.startsWith('/auth/login') ? 'login' : status;
        const label = `${row.what} ${JSON.stringify(row.form ?? {})} as ${persona}`;
        if (got !== row.expect[persona]) differences.push(`${label}: expected ${row.expect[persona]}, got ${got} (${location})`);
        const body = withDecoded(await response.text());
        // A download allowed by the table carries beta's push token and nothing else secret; every
        // other answer carries no secret at all.
        const allowedDownload = isDownload(row) && got === 200;
        const forbidden = [...otherSecrets, ...betaTokens.filter((t) => !(allowedDownload && betaPush.includes(t)))];
        for (const secret of forbidden) if (body.includes(secret)) differences.push(`${label}: a secret (${secret.length} chars) in the answer`);
        if (allowedDownload && !betaPush.some((t) => body.includes(t))) differences.push(`${label}: the download lacks beta's push token`);
        // Outside beta, nothing of beta's: its robots, namespace, project or groups.
        if (persona === 'anonymous' || persona === 'otherTeam') {
          for (const marker of ['berth-beta', 'team-beta']) if (body.includes(marker)) differences.push(`${label}: shows "${marker}"`);
        }
      }
    }
  } finally {
    for (const jar of Object.values(jars)) await jar.dispose();
    setDownload('beta', false);
  }
  expect(differences).toEqual([]);
});
