// Package tokens signs and verifies the JWTs of Cognate's user pools.
//
// Each pool has two RSA-2048 keys in use at any time, one for id tokens and
// one for access tokens, with different kids. KeyRing keeps them in the
// store (private keys sealed with the server key, bound to pool and kid),
// caches the parsed keys, rotates them and publishes them as a JWKS; retired
// keys stay published until every token they signed has expired.
//
// Verifier is the one strict verifier shared by the user pools and the
// gateway: RS256 only, a small header allowlist, a well-formed kid, issuer,
// audience/client, token use, expiry and revocation checks. Malformed and
// oversized tokens are rejected before any cryptography, and lookups of
// unknown kids reach the store at most once per second per pool.
//
// Revocations follows the store's revocation feed so that GlobalSignOut and
// RevokeToken on one node take effect on every node within a poll interval.
//
// Claims are built by the userpool package; this package only signs what it
// is given. Numbers in verified claims are json.Number values.
package tokens
