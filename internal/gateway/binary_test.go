package gateway

import (
	"net/http"
	"testing"
)

// TestConvertRequestTable follows AWS's request table ("Content type
// conversions in API Gateway"): payload kind × binaryMediaTypes match ×
// contentHandling → integration request payload.
func TestConvertRequestTable(t *testing.T) {
	tests := []struct {
		body     string
		isBinary bool
		handling string
		want     string
		binary   bool
	}{
		{"text", false, "", "text", false},
		{"aGk=", false, ConvertToBinary, "hi", true},
		{"text", false, ConvertToText, "text", false},
		{"\x00\x01", true, "", "\x00\x01", true},
		{"\x00\x01", true, ConvertToBinary, "\x00\x01", true},
		{"\x00\x01", true, ConvertToText, "AAE=", false},
	}
	for _, tt := range tests {
		got, bin, err := convertRequest([]byte(tt.body), tt.isBinary, tt.handling)
		if err != nil || string(got) != tt.want || bin != tt.binary {
			t.Errorf("%q binary=%v %s: got %q %v %v", tt.body, tt.isBinary, tt.handling, got, bin, err)
		}
	}
	if _, _, err := convertRequest([]byte("not base64!"), false, ConvertToBinary); err == nil {
		t.Error("bad base64 accepted")
	}
}

// TestConvertResponseTable follows AWS's response table: integration
// payload × first Accept type × binaryMediaTypes × contentHandling.
func TestConvertResponseTable(t *testing.T) {
	tests := []struct {
		body                               string
		payloadBinary, binarySet, acceptBi bool
		handling                           string
		want                               string
		binary                             bool
	}{
		{"aGk=", false, false, false, "", "aGk=", false},
		{"aGk=", false, false, false, ConvertToBinary, "hi", true},
		{"aGk=", false, false, false, ConvertToText, "aGk=", false},
		{"aGk=", false, true, false, "", "aGk=", false},
		{"aGk=", false, true, false, ConvertToBinary, "hi", true},
		{"aGk=", false, true, false, ConvertToText, "aGk=", false},
		{"aGk=", false, true, true, "", "hi", true},
		{"aGk=", false, true, true, ConvertToBinary, "hi", true},
		{"aGk=", false, true, true, ConvertToText, "aGk=", false},
		{"hi", true, true, false, "", "aGk=", false},
		{"hi", true, true, false, ConvertToBinary, "hi", true},
		{"hi", true, true, false, ConvertToText, "aGk=", false},
		{"hi", true, true, true, "", "hi", true},
		{"hi", true, true, true, ConvertToBinary, "hi", true},
		{"hi", true, true, true, ConvertToText, "aGk=", false},
	}
	for _, tt := range tests {
		got, bin, err := convertResponse([]byte(tt.body), tt.payloadBinary, tt.binarySet, tt.acceptBi, tt.handling)
		if err != nil || string(got) != tt.want || bin != tt.binary {
			t.Errorf("%+v: got %q %v %v", tt, got, bin, err)
		}
	}
}

func TestBinaryTypesMatch(t *testing.T) {
	b, err := compileBinaryTypes([]string{"image~1png", "application/*"})
	if err != nil {
		t.Fatal(err)
	}
	for ct, want := range map[string]bool{"image/png": true, "IMAGE/PNG; q=1": true, "image/jpeg": false,
		"application/octet-stream": true, "text/plain": false, "": false} {
		if b.match(ct) != want {
			t.Errorf("match(%q) = %v", ct, !want)
		}
	}
	if _, err := compileBinaryTypes([]string{"png"}); err == nil {
		t.Error("bad media type accepted")
	}
	if firstAccept("image/webp,image/*,*/*;q=0.8") != "image/webp" {
		t.Error("firstAccept")
	}
}

// TestBinaryThroughHTTPIntegration: an HTTP (non-proxy) integration whose
// backend answers text is decoded for a binary Accept with
// CONVERT_TO_BINARY, and templates do not touch the binary answer.
func TestBinaryThroughHTTPIntegration(t *testing.T) {
	env := newTestEnv(t, func(api *API, _ *Options) {
		api.BinaryMediaTypes = []string{"image/png"}
		api.Paths["/img"] = map[string]*Method{"POST": {Integration: Integration{Type: IntegrationHTTP, HTTPMethod: "POST",
			URI: env0(api) + "/img", ContentHandling: ConvertToText,
			RequestTemplates: map[string]string{"image/png": `{"b64":"$input.body"}`},
			Responses:        []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": `{"wrapped":$input.json('$')}`}}}}}}
	})
	rec := httpCase{method: http.MethodPost, target: "/dev/img", body: "\x89PNG", header: map[string]string{"Content-Type": "image/png"},
		status: 200, contains: []string{`\"b64\":\"iVBORw==\"`}}.run(t, env.h, env.inv)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}
