package userpool

import (
	"context"
	"encoding/base64"
)

type signingCertOutput struct {
	Certificate string
}

// getSigningCertificate is GetSigningCertificate: the certificate of the
// pool's SAML signing key (saml_cert.go), the one its SP metadata publishes.
func (s *Service) getSigningCertificate(ctx context.Context, in *poolIDInput) (*signingCertOutput, error) {
	_, cert, err := s.SAMLSigningCertificate(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	// As AWS: the DER certificate in base64, without PEM armour.
	return &signingCertOutput{Certificate: base64.StdEncoding.EncodeToString(cert.Raw)}, nil
}
