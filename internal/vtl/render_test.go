package vtl

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// loadCase returns the template section of a golden case.
func loadCase(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name + ".txtar")
	if err != nil {
		t.Fatal(err)
	}
	return parseTxtar(string(data)).files["template"]
}

func TestConcurrentRender(t *testing.T) {
	tmpl, err := Parse(loadCase(t, "aws_policycontext"))
	if err != nil {
		t.Fatal(err)
	}
	const workers, renders = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("user-%d", w)
			req := &Request{
				Body:   []byte(fmt.Sprintf(`{"n": %d, "tags": ["x", "y"]}`, w)),
				Header: map[string]string{"X-Worker": user},
				Path:   map[string]string{"id": user},
				Context: map[string]any{
					"requestId":  user,
					"authorizer": map[string]any{"principalId": "p-" + user, "username": user, "email": user + "@example.com"},
				},
			}
			for range renders {
				out, err := tmpl.RenderAPIGateway(req)
				if err != nil {
					errs <- err
					return
				}
				var ev struct {
					Body   map[string]any    `json:"body-json"`
					Policy map[string]string `json:"policyContext"`
					Params map[string]map[string]string
				}
				if err := json.Unmarshal([]byte(out), &ev); err != nil {
					errs <- fmt.Errorf("worker %d: invalid JSON: %w", w, err)
					return
				}
				if ev.Policy["username"] != user || ev.Body["n"] != float64(w) {
					errs <- fmt.Errorf("worker %d: got %v / %v", w, ev.Policy, ev.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCallerDataNotModified(t *testing.T) {
	tmpl, err := Parse(`#set($x = $m.put("k", "new"))#set($y = $l.add(3))#set($m.z = 1)#set($c = $ctx.remove("a"))$m $l $ctx`)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{"k": "old"}
	l := []any{1, 2}
	ctx := map[string]string{"a": "1"}
	out, err := tmpl.Render(map[string]any{"m": m, "l": l, "ctx": ctx})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{k=new, z=1} [1, 2, 3] {}"; out != want {
		t.Errorf("out = %q, want %q", out, want)
	}
	if !reflect.DeepEqual(m, map[string]any{"k": "old"}) || len(l) != 2 || ctx["a"] != "1" {
		t.Errorf("caller data modified: %v %v %v", m, l, ctx)
	}
}

func TestRenderAPIGatewayNilRequest(t *testing.T) {
	tmpl, err := Parse(`$input.json('$')|$input.params('x')|$context.requestId|$stageVariables.size()|$input.body`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.RenderAPIGateway(nil)
	if err != nil {
		t.Fatal(err)
	}
	if out != "{}|||0|" {
		t.Errorf("out = %q", out)
	}
}

func TestGenericRenderValues(t *testing.T) {
	tmpl, err := Parse(`$s $i $f $b $n $l $m $sl $ms.k`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(map[string]any{
		"s": "str", "i": 7, "f": 1.0, "b": true, "n": nil, "l": []any{"a", 1},
		"m": map[string]any{"z": 1, "a": []any{}}, "sl": []string{"p"}, "ms": map[string]string{"k": "v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "str 7 1.0 true $n [a, 1] {a=[], z=1} [p] v"; out != want {
		t.Errorf("out = %q, want %q", out, want)
	}
}

func TestTemplateReuse(t *testing.T) {
	// State is pooled: a rendering must not see variables of a previous one.
	tmpl, err := Parse(`#if($a)a=$a#end#set($a = "set")`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		out, err := tmpl.Render(nil)
		if err != nil || out != "" {
			t.Fatalf("render %d: %q, %v", i, out, err)
		}
	}
	if out, _ := tmpl.Render(map[string]any{"a": 1}); out != "a=1" {
		t.Fatalf("out = %q", out)
	}
	if strings.Contains(fmt.Sprint(tmpl.names), "set") {
		t.Fatal("unexpected slot name")
	}
}

func TestArgumentsEvaluatedOnce(t *testing.T) {
	// A built-in that declines to append (null argument) must not make its
	// arguments run twice.
	tmpl, err := Parse(`#set($l = [1, 2, 3])[$util.escapeJavaScript($l.remove(0))][$util.escapeJavaScript($m.get("x"))]$l`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.RenderAPIGateway(nil)
	if err != nil || out != "[1][][2, 3]" {
		t.Fatalf("out = %q, %v", out, err)
	}
}

// TestMethodOverloads: methods are chosen by receiver kind, name and arity;
// a call that matches no entry renders nothing (as in API Gateway).
func TestMethodOverloads(t *testing.T) {
	src := `#set($s = "hello")#set($l = ["a", "b"])#set($m = {"k": "v"})` +
		`$s.substring(1) $s.substring(1, 3) [$s.length(1)] ` +
		`#set($x = $l.add("c"))#set($x = $l.add(0, "z"))$l ` +
		`$m.get("k") $m.getOrDefault("q", "d") [$m.substring(1)] ` +
		`#set($n = 7)$n.toString() $n.intValue() [$n.length()]`
	tmpl, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.RenderAPIGateway(&Request{})
	if err != nil {
		t.Fatal(err)
	}
	want := `ello el [] [z, a, b, c] v d [] 7 7 []`
	if out != want {
		t.Fatalf("got  %q\nwant %q", out, want)
	}
}
