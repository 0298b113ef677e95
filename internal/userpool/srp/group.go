package srp

import (
	"crypto/sha256"
	"math/big"
)

// nHex is the RFC 5054 3072-bit group prime that Cognito uses.
const nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
	"ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
	"F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
	"43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

// nLen is the length of N in bytes; padded values are at most nLen+1 bytes.
const nLen = 384

// infoBits is the HKDF info string of Cognito's SRP variant.
const infoBits = "Caldera Derived Key"

var (
	groupN = mustHex(nHex)
	groupG = big.NewInt(2)
	// groupK is k = H(pad(N) | pad(g)), computed once.
	groupK = new(big.Int).SetBytes(hashInts(groupN, groupG))
)

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad constant " + s)
	}
	return n
}

// appendPad appends the JS library's padHex encoding of a non-negative n to
// dst: the minimal big-endian bytes (one zero byte for zero), prefixed with
// a zero byte when the most significant bit is set.
func appendPad(dst []byte, n *big.Int) []byte {
	size := (n.BitLen() + 7) / 8
	if size == 0 || n.BitLen()%8 == 0 {
		size++ // leading 0x00: zero itself, or the high bit is set
	}
	start := len(dst)
	dst = append(dst, make([]byte, size)...)
	n.FillBytes(dst[start:])
	return dst
}

// padBytes returns the padHex encoding of n as bytes.
func padBytes(n *big.Int) []byte {
	return appendPad(make([]byte, 0, nLen+1), n)
}

// hashInts returns H(pad(a) | pad(b)).
func hashInts(a, b *big.Int) []byte {
	buf := make([]byte, 0, 2*(nLen+1))
	buf = appendPad(buf, a)
	buf = appendPad(buf, b)
	sum := sha256.Sum256(buf)
	return sum[:]
}

// computeU returns u = H(pad(A) | pad(B)) as an integer.
func computeU(a, b *big.Int) *big.Int {
	return new(big.Int).SetBytes(hashInts(a, b))
}
