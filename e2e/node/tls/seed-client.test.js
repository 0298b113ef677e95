'use strict';

// The tutorial's client, unchanged but for the host: it signs in with
// amazon-cognito-identity-js and calls the notes API with Node's own
// https.request, against `cognate up --tls auto`. The local CA is trusted
// the way users are told to (NODE_EXTRA_CA_CERTS=$(cognate ca)); no
// certificate check is disabled. aws-jwt-verify's default fetcher, which
// speaks https only, verifies the token. Run by e2e/tls_test.go.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');
const { JwtVerifier } = require('aws-jwt-verify');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const HOST = env('COGNATE_HOST'); // localhost:PORT
const POOL_ID = env('POOL_ID');
const CLIENT_ID = env('CLIENT_ID');

function login(username, password) {
  const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: `https://${HOST}/` });
  const user = new CognitoUser({ Username: username, Pool: pool });
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: resolve, onFailure: reject,
    });
  });
}

function getNotes(idToken) {
  const [hostname, port] = HOST.split(':');
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname, port, path: '/dev/notes', method: 'GET', headers: { Authorization: idToken } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the tutorial client runs over https with the local CA trusted', async () => {
  assert.ok(process.env.NODE_EXTRA_CA_CERTS, 'NODE_EXTRA_CA_CERTS must name the CA printed by cognate ca');
  const session = await login(env('COGNATE_USERNAME'), env('COGNATE_PASSWORD'));
  const idToken = session.getIdToken().getJwtToken();
  const res = await getNotes(idToken);
  assert.equal(res.status, 200, res.body);
  assert.equal(JSON.parse(res.body).title, `Notes for ${env('COGNATE_USERNAME')}`);
  // aws-jwt-verify with its default (https-only) JWKS fetcher.
  const issuer = `https://${HOST}/${POOL_ID}`;
  const verifier = JwtVerifier.create({ issuer, audience: CLIENT_ID, jwksUri: `${issuer}/.well-known/jwks.json` });
  const claims = await verifier.verify(idToken);
  assert.equal(claims['cognito:username'], env('COGNATE_USERNAME'));
});
