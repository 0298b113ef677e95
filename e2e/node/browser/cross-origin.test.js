'use strict';

// A real browser (Debian's Chromium, headless, driven by playwright-core)
// loads a page from another origin than Cognate's. The page tries the admin
// API (signed with a made-up key, and unsigned) and is refused; the same
// page signs in with amazon-cognito-identity-js, which uses only Cognito's
// public operations. Run by e2e/browser_test.go.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const COGNATE = env('COGNATE_URL');
const POOL_ID = env('POOL_ID');
const CLIENT_ID = env('CLIENT_ID');
const USERNAME = env('COGNATE_USERNAME');
const PASSWORD = env('COGNATE_PASSWORD');

const bundle = fs.readFileSync(path.join(__dirname, '..', 'node_modules', 'amazon-cognito-identity-js', 'dist', 'amazon-cognito-identity.min.js'));
const page = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Notes app</title>' +
  '<script src="/amazon-cognito-identity.min.js"></script></head><body><h1>Notes app (another origin)</h1><p id="out"></p></body></html>';

function serveApp() {
  const srv = http.createServer((req, res) => {
    if (req.url === '/amazon-cognito-identity.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      return res.end(bundle);
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

test('a page on another origin cannot drive the admin API but can sign in', async () => {
  const app = await serveApp();
  // localhost vs 127.0.0.1 and another port: a different origin from Cognate's.
  const appURL = `http://localhost:${app.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(appURL);
    const attempts = await tab.evaluate(async ({ cognate, poolId, username }) => {
      const body = JSON.stringify({ UserPoolId: poolId, Username: username, Password: 'Hijack3d!pw', Permanent: true });
      const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      const tries = {
        signed: { 'Authorization': `AWS4-HMAC-SHA256 Credential=AKIDEVILPAGE00001/${amzDate.slice(0, 8)}/us-east-1/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'X-Amz-Date': amzDate },
        unsigned: {},
      };
      const out = {};
      for (const [name, extra] of Object.entries(tries)) {
        try {
          const r = await fetch(cognate + '/', {
            method: 'POST', body,
            headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSCognitoIdentityProviderService.AdminSetUserPassword', ...extra },
          });
          out[name] = `read status ${r.status}: ${await r.text()}`;
        } catch (e) {
          out[name] = `blocked: ${e.name}`;
        }
      }
      return out;
    }, { cognate: COGNATE, poolId: POOL_ID, username: USERNAME });
    assert.equal(attempts.signed, 'blocked: TypeError', 'a signed admin call from another origin must fail its preflight');
    assert.equal(attempts.unsigned, 'blocked: TypeError', 'an unsigned admin call must not be readable (and is refused server-side)');

    // The page signs in with the original password: the admin attempts changed nothing.
    const tokens = await tab.evaluate(({ cognate, poolId, clientId, username, password }) => new Promise((resolve, reject) => {
      const { CognitoUserPool, CognitoUser, AuthenticationDetails } = window.AmazonCognitoIdentity;
      const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: cognate + '/' });
      const user = new CognitoUser({ Username: username, Pool: pool });
      user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
        onSuccess: (s) => { document.getElementById('out').textContent = 'signed in as ' + s.getIdToken().payload['cognito:username']; resolve({ id: s.getIdToken().getJwtToken(), user: s.getIdToken().payload['cognito:username'] }); },
        onFailure: (e) => reject(new Error(e.code + ': ' + e.message)),
      });
    }), { cognate: COGNATE, poolId: POOL_ID, clientId: CLIENT_ID, username: USERNAME, password: PASSWORD });
    assert.equal(tokens.user, USERNAME);
    assert.equal(tokens.id.split('.').length, 3);
    if (process.env.SCREENSHOT_DIR) {
      await tab.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, 'cross-origin-sign-in.png') });
    }
  } finally {
    await browser.close();
    app.close();
  }
});
