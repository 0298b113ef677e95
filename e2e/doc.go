// Package e2e holds Cognate's end-to-end tests: they build the real binary,
// start `cognate up` on a loopback port and drive it with the clients people
// use against AWS — aws-sdk-go-v2 here, and the Node.js clients in node/
// (amazon-cognito-identity-js, jsonwebtoken + jwk-to-pem, aws-jwt-verify).
package e2e
