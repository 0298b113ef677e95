// A custom email sender in the shape of the Cognito developer guide's
// example. On AWS the code is decrypted with the AWS Encryption SDK and a
// KMS key; Cognate encrypts it with the local key configured for the pool's
// KMSKeyID: base64(12-byte nonce || AES-256-GCM ciphertext || 16-byte tag).
const crypto = require("crypto");

const key = Buffer.from(process.env.KEY, "base64");

const decrypt = (b64) => {
  const raw = Buffer.from(b64, "base64");
  const nonce = raw.subarray(0, 12);
  const tag = raw.subarray(raw.length - 16);
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
};

exports.handler = async (event) => {
  let plainTextCode;
  if (event.request.code) {
    plainTextCode = decrypt(event.request.code);
  }
  // A real sender hands the message to an email provider; this one writes
  // it to the function's log, where the tests read it.
  if (event.triggerSource == "CustomEmailSender_SignUp" || event.triggerSource == "CustomEmailSender_ResendCode") {
    console.log(`deliver to ${event.request.userAttributes.email}: your code is ${plainTextCode}`);
  } else if (event.triggerSource == "CustomEmailSender_ForgotPassword") {
    console.log(`deliver to ${event.request.userAttributes.email}: your reset code is ${plainTextCode}`);
  }
  return;
};
