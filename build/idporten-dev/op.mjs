// SPDX-License-Identifier: Apache-2.0
//
// idporten-dev: a local stand-in for ID-porten, a real OpenID Connect
// provider (oidc-provider) on 127.0.0.1, for development and tests only.
//
//   BKM_OP_PORT=9099 BKM_OIDC_CLIENT_ID=bekymring-dev \
//   BKM_OIDC_CLIENT_SECRET=... BKM_OIDC_REDIRECT_URIS=http://127.0.0.1:8080/oidc/redirect \
//   node build/idporten-dev/op.mjs
//
// Optional: BKM_OIDC_POST_LOGOUT_REDIRECT_URIS (comma-separated).
// Prints "idporten-dev: listening on http://127.0.0.1:PORT" on stdout when
// ready; everything else (oidc-provider notices) goes to stderr.
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

// oidc-provider prints its notices with console.info (stdout); keep stdout
// for the one "listening" line that scripts wait for.
console.info = (...args) => console.error(...args);

const env = process.env;
const PORT = Number(env.BKM_OP_PORT || 9099);
const ISSUER = `http://127.0.0.1:${PORT}`; // no trailing slash, like https://idporten.no
const CLIENT_ID = env.BKM_OIDC_CLIENT_ID || 'bekymring-dev';
const list = (s) => (s || '').split(',').map((x) => x.trim()).filter(Boolean);
const REDIRECT_URIS = list(env.BKM_OIDC_REDIRECT_URIS);
if (!env.BKM_OIDC_CLIENT_SECRET || REDIRECT_URIS.length === 0) {
  console.error('idporten-dev: set BKM_OIDC_CLIENT_SECRET and BKM_OIDC_REDIRECT_URIS');
  process.exit(2);
}

// Synthetic test persons. kari, ola, anne and noname have placeholder pids
// that fail the mod-11 check digits; per has a check-digit-valid synthetic
// pid (Tenor style: birth month + 80), so it cannot be a real person's.
const PERSONS = {
  kari: { pid: '01017012345', given: 'Kari', family: 'Nordmann', locale: 'nb', amr: ['BankID'] },
  ola: { pid: '02028054321', given: 'Ola', family: 'Nordmann', locale: 'nn', amr: ['MinID'] },
  anne: { pid: '03039098765', given: 'Ánne', family: 'Sárá', locale: 'se', amr: ['BankID'] },
  per: { pid: '15888510025', given: 'Per-Øyvind', family: "O'Hara Ås", locale: 'en', amr: ['Buypass'] },
  noname: { pid: '04041155555', locale: 'nb', amr: ['MinID'] }, // gets no name claims
};
const ACRS = ['idporten-loa-substantial', 'idporten-loa-high', 'idporten-loa-low'];

// ID-porten's sub is an opaque, stable identifier, not the national id.
// Here: base64url(sha256("idporten-dev:" + pid)); it is also oidc-provider's accountId.
const subOf = (pid) => createHash('sha256').update(`idporten-dev:${pid}`).digest('base64url');
const BY_SUB = new Map(Object.entries(PERSONS).map(([id, p]) => [subOf(p.pid), { id, ...p }]));

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${esc(title)}</h1>
<p>Lokal utviklingsutgave av ID-porten. Bare syntetiske testpersoner.</p>
${body}</main></body></html>`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), use: 'sig', alg: 'RS256', kid: `idporten-dev-${Date.now()}` };

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: env.BKM_OIDC_CLIENT_SECRET,
    redirect_uris: REDIRECT_URIS,
    post_logout_redirect_uris: list(env.BKM_OIDC_POST_LOGOUT_REDIRECT_URIS),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post: see below
  }],
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
  acrValues: ['idporten-loa-substantial', 'idporten-loa-high'], // as ID-porten advertises; low is a test value
  scopes: ['openid', 'profile', 'pid'],
  // scope -> claims. ID-porten gives pid, locale, acr and amr with openid;
  // acr/amr/auth_time must be listed under a scope, or oidc-provider only
  // puts them in the id_token when the client asks with acr_values/claims.
  claims: {
    acr: null, amr: null, auth_time: null, sid: null, iss: null,
    openid: ['sub', 'pid', 'locale', 'acr', 'amr', 'auth_time'],
    pid: ['pid'],
    profile: ['name', 'given_name', 'family_name'],
  },
  conformIdTokenClaims: false, // put the scope's claims in the id_token, like ID-porten
  findAccount: async (ctx, sub) => {
    const p = BY_SUB.get(sub);
    if (!p) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        pid: p.pid,
        locale: p.locale,
        ...(p.given ? { name: `${p.given} ${p.family}`, given_name: p.given, family_name: p.family } : {}),
      }),
    };
  },
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Logg ut', `${form}<p><button type="submit" form="op.logoutForm" name="logout" value="yes">Logg ut</button></p>`);
      },
      postLogoutSuccessSource: async (ctx) => { ctx.body = page('Du er logget ut', ''); },
    },
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 3600, Session: 3600, Grant: 3600,
  },
  clientBasedCORS: () => false,
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Feil', `<dl>${Object.entries(out).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  },
});

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > 65536) throw Object.assign(new Error('request too large'), { status: 413 });
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Consent is automatic (first-party client, like ID-porten): grant every
// requested OIDC scope and claim, plus whatever oidc-provider reports missing.
async function autoGrant(details, accountId) {
  const { params, prompt } = details;
  const grant = (details.grantId && await provider.Grant.find(details.grantId))
    || new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope || 'openid'));
  if (params.claims) {
    const c = JSON.parse(params.claims);
    grant.addOIDCClaims([...Object.keys(c.id_token || {}), ...Object.keys(c.userinfo || {})]);
  }
  const d = prompt?.details || {};
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

function loginForm(uid, client, error) {
  const persons = Object.entries(PERSONS).map(([id, p]) => `<option value="${esc(id)}">${
    esc(p.given ? `${p.given} ${p.family}` : '(uten navn)')} – ${esc(p.pid)} – ${esc(p.amr.join(', '))}</option>`).join('\n');
  const acrs = [['idporten-loa-substantial', 'Betydelig'], ['idporten-loa-high', 'Høyt'], ['idporten-loa-low', 'Lavt, for å teste avvisning']]
    .map(([v, t], i) => `<option value="${v}"${i === 0 ? ' selected' : ''}>${t} (${v})</option>`).join('\n');
  return page('Logg inn med ID-porten (utvikling)', `${error ? `<p role="alert"><strong>${esc(error)}</strong></p>` : ''}
<p>Tjenesten <strong>${esc(client)}</strong> ber deg logge inn.</p>
<form method="post" action="/interaction/${esc(uid)}/login">
<p><label for="person">Testperson</label><br><select id="person" name="person">
${persons}
</select></p>
<p><label for="acr">Sikkerhetsnivå</label><br><select id="acr" name="acr">
${acrs}
</select></p>
<p><button type="submit" name="action" value="login">Logg inn</button>
<button type="submit" name="action" value="cancel">Avbryt</button></p>
</form>`);
}

// Our own interaction pages: GET /interaction/:uid and POST /interaction/:uid/login.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  ctx.set('Cache-Control', 'no-store');
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== m[1]) ctx.throw(400, 'interaction mismatch');
    const finish = async (result) => {
      ctx.respond = false; // interactionFinished writes the 303 itself
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    };
    if (ctx.method === 'GET' && !m[2]) {
      if (details.prompt.name === 'login') {
        ctx.type = 'html';
        ctx.body = loginForm(details.uid, details.params.client_id);
        return undefined;
      }
      // A second (consent) interaction: complete it without asking.
      return await finish({ consent: { grantId: await autoGrant(details, details.session.accountId) } });
    }
    if (ctx.method === 'POST' && m[2]) {
      const form = new URLSearchParams(await readBody(ctx.req));
      if (form.get('action') === 'cancel') {
        return await finish({ error: 'access_denied', error_description: 'Innloggingen ble avbrutt' });
      }
      const id = form.get('person');
      // Accept the short forms too: acr=substantial|high|low.
      let acr = form.get('acr') || 'substantial';
      if (!acr.startsWith('idporten-loa-')) acr = `idporten-loa-${acr}`;
      const p = Object.hasOwn(PERSONS, id) ? PERSONS[id] : null;
      if (!p || !ACRS.includes(acr)) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = loginForm(details.uid, details.params.client_id, 'Ukjent testperson eller sikkerhetsnivå.');
        return undefined;
      }
      const accountId = subOf(p.pid);
      // Login and consent in one result, so a single form post completes login.
      return await finish({
        login: { accountId, acr, amr: p.amr, remember: false },
        consent: { grantId: await autoGrant(details, accountId) },
      });
    }
    ctx.throw(405);
  } catch (err) {
    if (!ctx.respond) throw err;
    ctx.status = err.status || err.statusCode || 500;
    ctx.type = 'html';
    ctx.body = page('Feil', `<p>${esc(err.error_description || err.message)}</p>`);
  }
  return undefined;
});

// The client is registered for client_secret_basic (oidc-provider accepts
// only the registered method); accept client_secret_post too by turning the
// form credentials into a Basic header before oidc-provider reads the body.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/token' && !ctx.get('authorization')
      && ctx.is('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(await readBody(ctx.req));
    if (form.has('client_secret')) {
      const enc = (s) => encodeURIComponent(s || '');
      ctx.req.headers.authorization = `Basic ${Buffer.from(
        `${enc(form.get('client_id'))}:${enc(form.get('client_secret'))}`).toString('base64')}`;
      form.delete('client_id');
      form.delete('client_secret');
    }
    ctx.req.body = form.toString(); // oidc-provider falls back to req.body once the stream is read
  }
  return next();
});

const server = provider.listen(PORT, '127.0.0.1', () => {
  console.log(`idporten-dev: listening on ${ISSUER}`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
