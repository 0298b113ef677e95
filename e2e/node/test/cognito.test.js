'use strict';

// Drives a running Cognate with the Node clients people use against Cognito,
// changing only the endpoint. The Go test e2e/node_test.go starts the server,
// creates the user and runs this file with:
//   COGNATE_URL, POOL_ID, CLIENT_ID, COGNATE_USERNAME, COGNATE_PASSWORD, COGNATE_EMAIL
const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  CognitoUserPool, CognitoUser, AuthenticationDetails, CognitoRefreshToken,
} = require('amazon-cognito-identity-js');
const jwt = require('jsonwebtoken');
const jwkToPem = require('jwk-to-pem');
const { JwtVerifier } = require('aws-jwt-verify');
const { SimpleJwksCache } = require('aws-jwt-verify/jwk');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const URL_ = env('COGNATE_URL');
const POOL_ID = env('POOL_ID');
const CLIENT_ID = env('CLIENT_ID');
const USERNAME = env('COGNATE_USERNAME');
const PASSWORD = env('COGNATE_PASSWORD');
const EMAIL = env('COGNATE_EMAIL');
const ISSUER = `${URL_}/${POOL_ID}`;

const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: `${URL_}/` });

function login(password) {
  const user = new CognitoUser({ Username: USERNAME, Pool: pool });
  const details = new AuthenticationDetails({ Username: USERNAME, Password: password });
  return new Promise((resolve, reject) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
    });
  });
}

function refresh(user, refreshToken) {
  return new Promise((resolve, reject) => {
    user.refreshSession(new CognitoRefreshToken({ RefreshToken: refreshToken }), (err, session) => (err ? reject(err) : resolve(session)));
  });
}

async function jwks() {
  const res = await fetch(`${ISSUER}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  return res.json();
}

// An http-capable fetcher for aws-jwt-verify (its default one speaks https only).
const httpFetcher = { fetch: async (uri) => (await fetch(uri)).arrayBuffer() };

test('amazon-cognito-identity-js signs in with SRP and refreshes; tokens verify with jsonwebtoken, jwk-to-pem and aws-jwt-verify', async () => {
  const { user, session } = await login(PASSWORD);
  assert.ok(session.isValid(), 'session is valid');
  const idToken = session.getIdToken().getJwtToken();
  const accessToken = session.getAccessToken().getJwtToken();
  const refreshToken = session.getRefreshToken().getToken();
  assert.equal(idToken.split('.').length, 3);
  assert.notEqual(refreshToken.split('.').length, 3, 'the refresh token must not be a readable JWT');

  // jsonwebtoken + jwk-to-pem against the served JWKS.
  const { keys } = await jwks();
  const pems = Object.fromEntries(keys.map((k) => [k.kid, jwkToPem(k)]));
  const idHeader = jwt.decode(idToken, { complete: true }).header;
  const accessHeader = jwt.decode(accessToken, { complete: true }).header;
  assert.equal(idHeader.alg, 'RS256');
  assert.notEqual(idHeader.kid, accessHeader.kid, 'id and access tokens are signed with different keys');
  const id = jwt.verify(idToken, pems[idHeader.kid], { algorithms: ['RS256'], issuer: ISSUER, audience: CLIENT_ID });
  assert.equal(id.token_use, 'id');
  assert.equal(id['cognito:username'], USERNAME);
  assert.equal(id.email, EMAIL);
  const access = jwt.verify(accessToken, pems[accessHeader.kid], { algorithms: ['RS256'], issuer: ISSUER });
  assert.equal(access.token_use, 'access');
  assert.equal(access.client_id, CLIENT_ID);
  assert.equal(access.scope, 'aws.cognito.signin.user.admin');
  assert.equal(access.aud, undefined, 'access tokens carry no aud');
  assert.throws(() => jwt.verify(idToken, pems[accessHeader.kid], { algorithms: ['RS256'] }), /invalid signature/);

  // aws-jwt-verify pointed at the issuer.
  const jwksCache = new SimpleJwksCache({ fetcher: httpFetcher });
  const idVerifier = JwtVerifier.create({ issuer: ISSUER, audience: CLIENT_ID, jwksUri: `${ISSUER}/.well-known/jwks.json` }, { jwksCache });
  const verified = await idVerifier.verify(idToken);
  assert.equal(verified.sub, id.sub);
  const accessVerifier = JwtVerifier.create({
    issuer: ISSUER, audience: null, jwksUri: `${ISSUER}/.well-known/jwks.json`,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new Error('not an access token of this client');
    },
  }, { jwksCache });
  await accessVerifier.verify(accessToken);
  await assert.rejects(accessVerifier.verify(idToken), /not an access token/);
  const tampered = idToken.slice(0, -4) + (idToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await assert.rejects(idVerifier.verify(tampered));

  // Refresh: new id and access tokens for the same user.
  const refreshed = await refresh(user, refreshToken);
  const newId = jwt.verify(refreshed.getIdToken().getJwtToken(), pems[idHeader.kid], { algorithms: ['RS256'], issuer: ISSUER, audience: CLIENT_ID });
  assert.equal(newId.sub, id.sub);
  assert.notEqual(newId.jti, id.jti);
});

test('a wrong password fails with NotAuthorizedException', async () => {
  await assert.rejects(login(`${PASSWORD}-wrong`), (err) => {
    assert.equal(err.code, 'NotAuthorizedException');
    assert.equal(err.message, 'Incorrect username or password.');
    return true;
  });
});

test('the notes API answers the id token of amazon-cognito-identity-js, as the original client calls it', async () => {
  const { session } = await login(PASSWORD);
  const idToken = session.getIdToken().getJwtToken();
  for (const path of ['/dev/notes', '/dev/cognito/notes']) {
    const res = await fetch(`${URL_}${path}`, { headers: { Authorization: idToken } });
    const body = await res.json();
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(body)}`);
    assert.equal(body.title, `Notes for ${USERNAME}`);
    assert.equal(body.notes.length, 2);

    const anon = await fetch(`${URL_}${path}`);
    assert.equal(anon.status, 401);
    assert.deepEqual(await anon.json(), { message: 'Unauthorized' });
  }
});
