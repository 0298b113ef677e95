package userpool

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"sync/atomic"
)

// testKeys are RSA keys generated once per test binary and handed out in
// turn (tokens.KeyRingOptions.NewKey): generating a key per pool and rotation
// dominated the package's test time. Consecutive keys differ.
var (
	testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
		keys := make([]*rsa.PrivateKey, 6)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					panic(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		return keys
	})
	testKeyNext atomic.Uint64
)

func testNewKey() (*rsa.PrivateKey, error) {
	ks := testKeys()
	return ks[testKeyNext.Add(1)%uint64(len(ks))], nil
}
