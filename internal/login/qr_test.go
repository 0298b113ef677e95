package login

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
)

func TestQRDataURL(t *testing.T) {
	u, err := qrDataURL("otpauth://totp/web:dave?issuer=web&secret=JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := strings.CutPrefix(string(u), "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40s", u)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	if r.Dx() != r.Dy() || r.Dx()%qrModule != 0 || r.Dx() < (21+2*qrQuiet)*qrModule {
		t.Fatalf("image %v is not a whole QR symbol", r)
	}
	// The quiet zone is white and the top-left finder pattern dark.
	at := func(x, y int) uint32 { v, _, _, _ := img.At(x, y).RGBA(); return v }
	if at(0, 0) != 0xffff || at(qrQuiet*qrModule, qrQuiet*qrModule) != 0 {
		t.Fatal("quiet zone or finder pattern missing")
	}
}
