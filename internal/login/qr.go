package login

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"

	"github.com/yeqown/go-qrcode/v2"
)

// qrModule is the size in pixels of one QR module; qrQuiet the quiet zone in modules.
const (
	qrModule = 6
	qrQuiet  = 4
)

// qrDataURL encodes text as a QR code (the library does the encoding) and
// returns it as a PNG data URL, which the pages' Content-Security-Policy
// allows (img-src data:).
func qrDataURL(text string) (template.URL, error) {
	q, err := qrcode.New(text)
	if err != nil {
		return "", fmt.Errorf("qr encode: %w", err)
	}
	w := &pngWriter{}
	if err := q.Save(w); err != nil {
		return "", fmt.Errorf("qr render: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(w.buf.Bytes())), nil
}

// pngWriter is a qrcode.Writer that draws the matrix as a black-on-white PNG.
type pngWriter struct{ buf bytes.Buffer }

func (w *pngWriter) Write(m qrcode.Matrix) error {
	side := (m.Width() + 2*qrQuiet) * qrModule
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	m.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		if !v.IsSet() {
			return
		}
		for dy := range qrModule {
			for dx := range qrModule {
				img.SetGray((x+qrQuiet)*qrModule+dx, (y+qrQuiet)*qrModule+dy, color.Gray{})
			}
		}
	})
	return png.Encode(&w.buf, img)
}

func (w *pngWriter) Close() error { return nil }
