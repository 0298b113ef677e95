'use strict';

// A passkey registered and used in a real browser: Debian's Chromium,
// headless, driven by playwright-core, with a CDP virtual authenticator
// (internal, resident keys, user verification). The page is served from
// http://localhost:PORT (a secure context whose host is the pool's
// relying-party id) and runs Amplify v6, bundled here with esbuild:
// signIn with a password, associateWebAuthnCredential,
// listWebAuthnCredentials, signOut, then signIn with USER_AUTH and
// preferredChallenge WEB_AUTHN. Run by e2e/browser_test.go.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const esbuild = require('esbuild');
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

async function bundleAmplify() {
  const out = await esbuild.build({
    stdin: {
      contents: [
        "import { Amplify } from 'aws-amplify';",
        "import { signIn, signOut, associateWebAuthnCredential, listWebAuthnCredentials, fetchAuthSession } from 'aws-amplify/auth';",
        'window.amplify = { Amplify, signIn, signOut, associateWebAuthnCredential, listWebAuthnCredentials, fetchAuthSession };',
      ].join('\n'),
      resolveDir: path.join(__dirname, '..'),
      loader: 'js',
    },
    bundle: true, format: 'iife', platform: 'browser', target: 'es2020', write: false, logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  });
  return out.outputFiles[0].contents;
}

function serveApp(bundle) {
  const page = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Passkeys</title>' +
    '<script src="/amplify.js"></script></head><body><h1>Passkeys</h1></body></html>';
  const srv = http.createServer((req, res) => {
    if (req.url === '/amplify.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      return res.end(bundle);
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

test('Amplify v6 registers a passkey and signs in with it in Chromium', async () => {
  const app = await serveApp(await bundleAmplify());
  const appURL = `http://localhost:${app.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage();
    const logs = [];
    tab.on('console', (m) => logs.push(m.text()));
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
        isUserVerified: true, automaticPresenceSimulation: true },
    });
    await tab.goto(appURL);
    const cfg = { cognate: COGNATE, poolId: POOL_ID, clientId: CLIENT_ID, username: USERNAME, password: PASSWORD };
    const out = await tab.evaluate(async (c) => {
      const { Amplify, signIn, signOut, associateWebAuthnCredential, listWebAuthnCredentials, fetchAuthSession } = window.amplify;
      Amplify.configure({ Auth: { Cognito: { userPoolId: c.poolId, userPoolClientId: c.clientId, userPoolEndpoint: c.cognate } } });
      const r = {};
      const first = await signIn({ username: c.username, password: c.password, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
      r.passwordSignIn = first.isSignedIn;
      await associateWebAuthnCredential();
      const list = await listWebAuthnCredentials();
      r.credentials = list.credentials.map((x) => ({ id: x.credentialId, rp: x.relyingPartyId }));
      await signOut();
      const second = await signIn({ username: c.username, options: { authFlowType: 'USER_AUTH', preferredChallenge: 'WEB_AUTHN' } });
      r.passkeySignIn = second.isSignedIn;
      r.nextStep = second.nextStep && second.nextStep.signInStep;
      const session = await fetchAuthSession();
      r.tokenUser = session.tokens && session.tokens.accessToken.payload.username;
      return r;
    }, cfg).catch((err) => { throw new Error(`${err.message}\nconsole:\n${logs.join('\n')}`); });

    assert.equal(out.passwordSignIn, true, 'password sign-in');
    assert.equal(out.credentials.length, 1, 'one passkey listed');
    assert.equal(out.credentials[0].rp, 'localhost');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the virtual authenticator holds the passkey');
    assert.equal(credentials[0].rpId, 'localhost');
    assert.equal(Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'), out.credentials[0].id,
      'Cognate lists the credential the authenticator made');
    assert.ok(credentials[0].signCount >= 1, 'the authenticator signed an assertion');
    assert.equal(out.passkeySignIn, true, `passkey sign-in (next step ${out.nextStep})`);
    assert.equal(out.tokenUser, USERNAME);
  } finally {
    await browser.close();
    app.close();
  }
});
