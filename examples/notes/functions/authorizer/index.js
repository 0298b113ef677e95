'use strict';

// The tutorial's custom TOKEN authorizer: it verifies a user pool id token
// (issuer, token_use, kid from the pool's JWKS, RS256 signature, expiry) and
// answers an Allow policy for every method of the stage, with principalId,
// username and email in the context.
const http = require('http');
const https = require('https');
const jwt = require('jsonwebtoken');
const jwkToPem = require('jwk-to-pem');

const ISSUER = process.env.ISSUER; // e.g. http://127.0.0.1:4566/us-east-1_AbC123xyZ
let pems = null; // kid -> PEM, loaded once per instance

function getJSON(url) {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    client.get(url, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`JWKS answered ${res.statusCode}`));
        try { resolve(JSON.parse(body)); } catch (e) { reject(e); }
      });
    }).on('error', reject);
  });
}

async function loadPems() {
  const jwks = await getJSON(`${ISSUER}/.well-known/jwks.json`);
  const out = {};
  for (const key of jwks.keys) {
    out[key.kid] = jwkToPem({ kty: key.kty, n: key.n, e: key.e });
  }
  return out;
}

function policy(principalId, effect, methodArn, ctx) {
  const [apiArn, stage] = methodArn.split('/');
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: `${apiArn}/${stage}/*/*` }],
    },
    context: ctx,
  };
}

exports.handler = (event, context) => {
  const token = (event.authorizationToken || '').replace(/^Bearer\s+/i, '');
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || !decoded.header || !decoded.payload || decoded.payload.iss !== ISSUER) {
    context.fail('Unauthorized');
    return;
  }
  if (decoded.payload.token_use !== 'id') {
    context.fail('Unauthorized');
    return;
  }
  (pems ? Promise.resolve(pems) : loadPems()).then((loaded) => {
    pems = loaded;
    const pem = pems[decoded.header.kid];
    if (!pem) {
      pems = null; // keys may have rotated: reload next time
      context.fail('Unauthorized');
      return;
    }
    jwt.verify(token, pem, { algorithms: ['RS256'], issuer: ISSUER }, (err, payload) => {
      if (err) {
        context.fail('Unauthorized');
        return;
      }
      context.succeed(policy(payload.sub, 'Allow', event.methodArn, {
        principalId: payload.sub,
        username: payload['cognito:username'],
        email: payload.email,
      }));
    });
  }).catch((err) => {
    console.log('authorizer error:', err.message);
    context.fail('Unauthorized');
  });
};
