package vtl

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the output sections of testdata/*.txtar")

// archive is a parsed txtar golden file with its sections by name.
type archive struct {
	a     *txtar.Archive
	files map[string]string
}

func parseTxtar(data string) *archive {
	a := &archive{a: txtar.Parse([]byte(data)), files: map[string]string{}}
	for _, f := range a.a.Files {
		a.files[f.Name] = string(f.Data)
	}
	return a
}

// set replaces (or adds) a section.
func (a *archive) set(name, data string) {
	a.files[name] = data
	for i := range a.a.Files {
		if a.a.Files[i].Name == name {
			a.a.Files[i].Data = []byte(data)
			return
		}
	}
	a.a.Files = append(a.a.Files, txtar.File{Name: name, Data: []byte(data)})
}

// remove drops a section.
func (a *archive) remove(name string) {
	delete(a.files, name)
	a.a.Files = slices.DeleteFunc(a.a.Files, func(f txtar.File) bool { return f.Name == name })
}

func (a *archive) format() string { return string(txtar.Format(a.a)) }

// goldenRequest is the request.json section of API Gateway cases.
type goldenRequest struct {
	Path           map[string]string `json:"path"`
	QueryString    map[string]string `json:"querystring"`
	Header         map[string]string `json:"header"`
	Context        map[string]any    `json:"context"`
	StageVariables map[string]string `json:"stageVariables"`
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("bad JSON section: %v", err)
	}
}

// renderCase renders one golden case: with a vars.json section through
// Render, otherwise through RenderAPIGateway with body and request.json.
func renderCase(t *testing.T, a *archive) (string, error) {
	t.Helper()
	tmpl, err := Parse(a.files["template"])
	if err != nil {
		return "", err
	}
	if vs, ok := a.files["vars.json"]; ok {
		vars := map[string]any{}
		decodeJSON(t, vs, &vars)
		return tmpl.Render(vars)
	}
	var gr goldenRequest
	if rs, ok := a.files["request.json"]; ok {
		decodeJSON(t, rs, &gr)
	}
	body := a.files["body"]
	if _, ok := a.files["body-nonl"]; ok {
		body = strings.TrimSuffix(a.files["body-nonl"], "\n")
	}
	// With a response-template or overrides.json section, $context carries
	// the request's overrides, and the response template (rendered second,
	// on response-body, with the same $context) gives the output.
	_, wantOverrides := a.files["overrides.json"]
	respSrc, hasResp := a.files["response-template"]
	var ro *RequestOverride
	var so *ResponseOverride
	if wantOverrides || hasResp {
		if gr.Context == nil {
			gr.Context = map[string]any{}
		}
		ro, so = &RequestOverride{}, &ResponseOverride{}
		gr.Context["requestOverride"], gr.Context["responseOverride"] = ro, so
	}
	req := &Request{
		Body: []byte(body), Path: gr.Path, QueryString: gr.QueryString, Header: gr.Header,
		Context: gr.Context, StageVariables: gr.StageVariables,
	}
	out, err := tmpl.RenderAPIGateway(req)
	if err != nil {
		return out, err
	}
	if hasResp {
		if want, ok := a.files["request-output"]; ok && out != want {
			t.Errorf("request template output mismatch\n--- got ---\n%s\n--- want ---\n%s", out, want)
		}
		rt, err := Parse(respSrc)
		if err != nil {
			return "", err
		}
		req.Body = []byte(a.files["response-body"])
		if out, err = rt.RenderAPIGateway(req); err != nil {
			return out, err
		}
	}
	if wantOverrides {
		got, _ := json.Marshal(map[string]any{
			"requestHeader": ro.Header, "requestQuerystring": ro.QueryString, "requestPath": ro.Path,
			"responseHeader": so.Header, "responseStatus": so.Status,
		})
		var g, w any
		_ = json.Unmarshal(got, &g)
		decodeJSON(t, a.files["overrides.json"], &w)
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("overrides\n--- got ---\n%s\n--- want ---\n%s", gj, wj)
		}
	}
	return out, nil
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			a := parseTxtar(string(data))
			if _, ok := a.files["template"]; !ok {
				t.Fatal("no template section")
			}
			out, err := renderCase(t, a)
			if want, ok := a.files["error"]; ok {
				if err == nil {
					t.Fatalf("rendered %q, want error containing %q", out, strings.TrimSpace(want))
				}
				if !strings.Contains(err.Error(), strings.TrimSpace(want)) {
					t.Fatalf("error %q does not contain %q", err, strings.TrimSpace(want))
				}
				return
			}
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			name := "output"
			want, ok := a.files[name]
			if nl, ok2 := a.files["output-nonl"]; ok2 {
				name, want, ok = "output-nonl", strings.TrimSuffix(nl, "\n"), true
			}
			if *update {
				if name == "output-nonl" || !strings.HasSuffix(out, "\n") {
					a.remove("output")
					name, out = "output-nonl", out+"\n"
				}
				a.set(name, out)
				if err := os.WriteFile(file, []byte(a.format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !ok {
				t.Fatal("no output section")
			}
			if out != want {
				t.Errorf("output mismatch\n--- got ---\n%s\n--- want ---\n%s", out, want)
			}
			if ej, ok := a.files["expect.json"]; ok {
				var got, exp any
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("output is not valid JSON: %v", err)
				}
				if err := json.Unmarshal([]byte(ej), &exp); err != nil {
					t.Fatalf("bad expect.json: %v", err)
				}
				if !reflect.DeepEqual(got, exp) {
					g, _ := json.MarshalIndent(got, "", "  ")
					t.Errorf("JSON mismatch\n--- got ---\n%s\n--- want ---\n%s", g, ej)
				}
			}
		})
	}
}

// goldenTemplates returns the templates of all golden cases (fuzz seeds).
func goldenTemplates(t testing.TB) []string {
	files, _ := filepath.Glob("testdata/*.txtar")
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := parseTxtar(string(data)).files["template"]; ok {
			out = append(out, s)
		}
	}
	return out
}
