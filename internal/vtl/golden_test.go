package vtl

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the output sections of testdata/*.txtar")

// archive is a minimal txtar archive: a comment, then "-- name --" sections.
type archive struct {
	comment string
	names   []string
	files   map[string]string
}

func parseTxtar(data string) *archive {
	a := &archive{files: map[string]string{}}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur == "" {
			a.comment = b.String()
		} else {
			a.files[cur] = b.String()
			a.names = append(a.names, cur)
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(data, "\n") {
		t := strings.TrimRight(line, "\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			flush()
			cur = t[3 : len(t)-3]
			continue
		}
		b.WriteString(line)
	}
	flush()
	return a
}

func (a *archive) format() string {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, n := range a.names {
		b.WriteString("-- " + n + " --\n")
		b.WriteString(a.files[n])
	}
	return b.String()
}

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
	return tmpl.RenderAPIGateway(&Request{
		Body: []byte(body), Path: gr.Path, QueryString: gr.QueryString, Header: gr.Header,
		Context: gr.Context, StageVariables: gr.StageVariables,
	})
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
					delete(a.files, "output")
					name, out = "output-nonl", out+"\n"
				}
				if _, had := a.files[name]; !had {
					a.names = append(a.names, name)
				}
				a.files[name] = out
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
