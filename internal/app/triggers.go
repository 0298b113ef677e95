package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// triggerInvoker adapts the function runner to userpool.Invoker.
type triggerInvoker struct{ c *components }

// InvokeTrigger implements userpool.Invoker.
func (t triggerInvoker) InvokeTrigger(ctx context.Context, name string, event []byte) (userpool.TriggerResult, error) {
	var res functions.Result
	key, _, err := t.c.lambda.Resolve(name)
	if err == nil {
		res, err = t.c.runner.Invoke(ctx, key, event)
	}
	out := userpool.TriggerResult{Payload: res.Payload, FunctionError: res.FunctionError, RequestID: res.RequestID}
	switch {
	case errors.Is(err, functions.ErrFunctionNotFound):
		return out, fmt.Errorf("%w: %w", userpool.ErrFunctionNotFound, err)
	case errors.Is(err, functions.ErrTooManyRequests):
		return out, fmt.Errorf("%w: %w", userpool.ErrTooManyRequests, err)
	}
	return out, err
}

// senderKey returns the local key a pool's KMSKeyID names: a kmsKeys id or
// its ARN arn:aws:kms:REGION:ACCOUNT:key/ID.
func (c *components) senderKey(keyID string) ([]byte, bool) {
	keys := c.kmsKeys.Load()
	if keys == nil {
		return nil, false
	}
	for _, k := range *keys {
		arn := "arn:aws:kms:" + c.cfg.Region + ":" + c.cfg.AccountID + ":key/" + k.ID
		if keyID == k.ID || keyID == arn {
			raw, err := base64.StdEncoding.DecodeString(k.Key)
			return raw, err == nil && len(raw) == 32
		}
	}
	return nil, false
}

// functionARN is the ARN a trigger given by function name designates.
func (c *components) functionARN(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return "arn:aws:lambda:" + c.cfg.Region + ":" + c.cfg.AccountID + ":function:" + nameOrARN
}

// applyTriggers sets a pool's LambdaConfig from the configuration file.
func (c *components) applyTriggers(ctx context.Context, poolID string, lc *config.LambdaConfig) error {
	spec := userpool.TriggerSpec{ARNs: map[string]string{}, PreTokenGenerationVersion: lc.PreTokenGenerationVersion}
	for name, fn := range lc.Triggers() {
		spec.ARNs[name] = c.functionARN(fn)
	}
	if lc.KMSKeyID != "" {
		spec.KMSKeyID = lc.KMSKeyID
		if !strings.HasPrefix(lc.KMSKeyID, "arn:") {
			spec.KMSKeyID = "arn:aws:kms:" + c.cfg.Region + ":" + c.cfg.AccountID + ":key/" + lc.KMSKeyID
		}
	}
	if err := c.pools.EnsureTriggers(ctx, poolID, spec); err != nil {
		return fmt.Errorf("triggers: %w", err)
	}
	return nil
}
