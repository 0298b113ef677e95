// Package srp implements Cognito's variant of SRP-6a exactly as the
// amazon-cognito-identity-js client (AuthenticationHelper.js, CognitoUser.js)
// computes it: the server side used by USER_SRP_AUTH and a Go client used by
// `cognate login`, the end-to-end tests and the benchmarks.
//
// The group is the RFC 5054 3072-bit prime N with g = 2 and SHA-256 as H.
// Integers are hashed in the JS library's "padHex" encoding (see padBytes):
// the minimal big-endian bytes of the value, with a leading zero byte when
// the most significant bit is set. This is not RFC 5054's PAD-to-len(N), and
// it applies to k, u, x and both HKDF inputs:
//
//	k = H(pad(N) | pad(g))
//	x = H(pad(salt) | H(poolName | userId | ":" | password))
//	v = g^x mod N                       (the stored verifier)
//	B = (k·v + g^b) mod N               (server), A = g^a mod N (client)
//	u = H(pad(A) | pad(B))
//	S = (A·v^u)^b mod N                 (server) = (B − k·g^x)^(a+u·x) (client)
//	K = HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key")[:16]
//	M = HMAC-SHA256(K, poolName | userId | secretBlock | timestamp)
//
// poolName is the part of the pool id after "_" and timestamp is formatted
// like "Sun Oct 6 13:37:50 UTC 2024".
//
// Timing: the modular arithmetic uses math/big, which is not constant-time.
// The secrets it handles are the ephemeral exponent b (fresh per login) and,
// on the client, a and x. For an odd modulus big.Int.Exp runs a fixed 4-bit
// window Montgomery exponentiation: the sequence of multiplications does not
// depend on the exponent's bits, but the window table is indexed by them
// (a cache-timing channel) and the limb arithmetic is not audited for
// constant time. The exposure is limited to a single-use b per login. Values
// compared against attacker input (the verifier in VerifyPassword, the
// signature in VerifySignature) are compared in constant time.
package srp
