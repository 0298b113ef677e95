// Package nodeboot ships the Node.js bootstrap that runs an exports.handler
// module over the Lambda Runtime API. It needs only Node's built-in modules.
package nodeboot

import _ "embed"

// Bootstrap is the bootstrap script (CommonJS). Run it with node; it reads
// AWS_LAMBDA_RUNTIME_API, _HANDLER and LAMBDA_TASK_ROOT.
//
//go:embed bootstrap.cjs
var Bootstrap []byte

// FileName is the name to give the script on disk (the .cjs extension keeps
// it CommonJS whatever package.json says).
const FileName = "cognate-bootstrap.cjs"
