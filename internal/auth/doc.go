// Package auth authenticates and authorizes calls to the AWS APIs Cognate
// serves (Cognito's signed operations, Lambda, Cognate's own /_cognate/*):
// it verifies AWS Signature Version 4 (header and query-string forms, the
// ±15 minute clock window, payload hashes, aws-chunked payload signing),
// finds the principal behind the access key, and evaluates the principal's
// identity policies (internal/iampolicy) for the action and resource.
//
// Principals are the root user (COGNATE_ROOT_ACCESS_KEY_ID /
// COGNATE_ROOT_SECRET_ACCESS_KEY, or a credentials file) and the users the
// configuration file declares with their access keys and policies. With no
// credentials at all the Verifier runs open: any well-formed signature is
// taken as the root user. The app only allows that on loopback listeners.
//
// Errors are *Error values carrying AWS's error codes and messages; each
// protocol renders them in its own shape (JSON 1.1's __type, REST-JSON's
// x-amzn-ErrorType header).
package auth
