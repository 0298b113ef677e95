package process

import (
	"os"
	"path/filepath"
	"strings"
)

// buildRules turns the allowed paths into Landlock rules that never cover a
// protected path. Landlock only grants (a rule covers a whole hierarchy), so
// an allowed directory holding a protected one is replaced by its entries,
// descending along the way to the protected path and leaving it out. Paths
// are compared after resolving symbolic links, as Landlock does. A path
// that is itself beneath a protected one stays allowed: it was granted on
// purpose (a task root inside the data directory).
func buildRules(readOnly, readWrite, protected []string) []pathRule {
	var prot []string
	for _, p := range protected {
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		prot = append(prot, filepath.Clean(abs))
		if r, err := filepath.EvalSymlinks(abs); err == nil && r != abs {
			prot = append(prot, r)
		}
	}
	var out []pathRule
	add := func(paths []string, write bool) {
		for _, p := range paths {
			abs, err := filepath.Abs(p)
			if err != nil {
				continue
			}
			out = appendAllowed(out, abs, write, prot, 0)
		}
	}
	add(readOnly, false)
	add(readWrite, true)
	return out
}

// appendAllowed adds the rules granting path minus the protected paths.
func appendAllowed(out []pathRule, path string, write bool, prot []string, depth int) []pathRule {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return out // missing: nothing to grant
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return out
	}
	var inside []string
	for _, p := range prot {
		if p == resolved {
			return out
		}
		if within(p, resolved) {
			inside = append(inside, p)
		}
	}
	if len(inside) == 0 || !fi.IsDir() {
		return append(out, pathRule{Path: resolved, Write: write, Dir: fi.IsDir()})
	}
	if depth > 64 {
		return out // a loop of links: grant nothing rather than too much
	}
	entries, err := os.ReadDir(resolved)
	if err != nil {
		return out
	}
	for _, e := range entries {
		out = appendAllowed(out, filepath.Join(resolved, e.Name()), write, prot, depth+1)
	}
	return out
}

// within reports whether p is strictly beneath dir.
func within(p, dir string) bool {
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}
