package vtl

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range goldenTemplates(f) {
		f.Add(s)
	}
	f.Add("#if($a)#elseif($b)#else#end#foreach($i in [1..3])$i#end")
	f.Add("\\\\#if(\\$a)${a.b(1, [2..3], {'k': \"$v\"})}#set($x = -1 - -2)")
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("parse error without position: %v", err)
			}
			return
		}
		tmpl.Limits = Limits{MaxLoopIterations: 50, MaxOutput: 1 << 16, MaxDepth: 16, MaxSteps: 20_000}
		out, err := tmpl.Render(map[string]any{"a": "x", "l": []any{1, "two"}, "m": map[string]any{"k": 1}})
		if err == nil && len(out) > 1<<16+1<<12 {
			t.Fatalf("output of %d bytes passed the limit", len(out))
		}
	})
}

func FuzzRender(f *testing.F) {
	body := `{"a": {"b": [1, 2.5, "x"]}, "s": "it's \"q\"", "n": null}`
	for _, s := range goldenTemplates(f) {
		f.Add(s, body)
	}
	f.Add("$input.json('$..b')$input.path('$.a.b[*]')$util.parseJson($input.body).a", body)
	f.Fuzz(func(t *testing.T, src, body string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		tmpl.Limits = Limits{MaxLoopIterations: 50, MaxOutput: 1 << 16, MaxDepth: 16, MaxSteps: 20_000}
		_, err = tmpl.RenderAPIGateway(&Request{
			Body:           []byte(body),
			Path:           map[string]string{"id": "1"},
			QueryString:    map[string]string{"q": body},
			Header:         map[string]string{"H": "v"},
			Context:        map[string]any{"authorizer": map[string]any{"principalId": "p"}},
			StageVariables: map[string]string{"s": "v"},
		})
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("render error is not an *Error: %v", err)
		}
	})
}

func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, -2.5e3, true, null, "x\"\u00e9"]}`, `[]`, ` "s" `, `01`, `{"a":}`, `[1,]`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := appendCompactJSON(nil, b)
		if valid := json.Valid(b); valid != (err == nil) {
			t.Fatalf("json.Valid = %v, compactor error = %v", valid, err)
		}
		if err != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("compact = %q, want %q", got, want.Bytes())
		}
	})
}
